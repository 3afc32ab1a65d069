package stats

import (
	"context"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestAgeThresholds holds the birth-date thresholds the queries compare
// against (ageParams) to PostgreSQL's age(), leap days included: "born
// after the k-th threshold" must mean "younger than 31, 41, 51, 61 years".
func TestAgeThresholds(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	ctx := context.Background()
	asOfs := []domain.Date{domain.MustDate(2024, 2, 29), domain.MustDate(2025, 2, 28), domain.MustDate(2025, 3, 1), domain.MustDate(2024, 12, 31), domain.MustDate(2023, 1, 1), domain.MustDate(1904, 2, 29)}
	for _, asOf := range asOfs {
		params := ageParams(asOf)
		for _, years := range []int{31, 41, 51, 61} {
			for delta := -400; delta <= 400; delta++ {
				birth := time.Date(asOf.Year()-years, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, delta).Format(time.DateOnly)
				var age int
				var after [4]bool
				err := pool.QueryRow(ctx, `SELECT date_part('year', age($1::date, $2::date))::int, $2::date > $3::date, $2::date > $4::date, $2::date > $5::date, $2::date > $6::date`,
					append([]any{asOf.String(), birth}, params...)...).Scan(&age, &after[0], &after[1], &after[2], &after[3])
				if err != nil {
					t.Fatal(err)
				}
				for i, limit := range []int{31, 41, 51, 61} {
					if after[i] != (age < limit) {
						t.Fatalf("born %s, on %s: age %d, born after threshold %s = %v", birth, asOf, age, params[i], after[i])
					}
				}
			}
		}
	}
}
