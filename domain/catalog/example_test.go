package catalog_test

import (
	"fmt"

	"github.com/hoso-ledger/hoso/domain/catalog"
)

// A birthplace recorded before the 2025 reform resolves to the province
// that succeeded it.
func ExampleCatalog_Resolve() {
	c := catalog.Default()
	old, _ := c.Lookup(catalog.KindPlace, "pre2025-82")
	now, _ := c.Resolve(catalog.KindPlace, "pre2025-82")
	fmt.Println(old.Name, "→", now.Code, now.Name)
	// Output: Tỉnh Tiền Giang → 82 Tỉnh Đồng Tháp
}
