package catalog_test

import (
	"fmt"

	"github.com/hoso-ledger/hoso/domain"
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

// A province code is read as it was on the day it was written: 82 in 2020
// was Tiền Giang, which is now part of Đồng Tháp (still code 82); 52 was
// Bình Định, now in Gia Lai (code 52).
func ExampleCatalog_Successor() {
	c := catalog.Default()
	recorded := domain.MustDate(2020, 5, 3)
	for _, code := range []string{"82", "52", "64"} {
		then, _ := c.PlaceOn(code, recorded)
		now, _ := c.Successor(code, recorded)
		fmt.Println(code, then.Name, "→", now.Code, now.Name)
	}
	// Output:
	// 82 Tỉnh Tiền Giang → 82 Tỉnh Đồng Tháp
	// 52 Tỉnh Bình Định → 52 Tỉnh Gia Lai
	// 64 Tỉnh Gia Lai → 52 Tỉnh Gia Lai
}
