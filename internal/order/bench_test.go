package order_test

import (
	"testing"
	"time"
)

// BenchmarkPlaceOrder places one-line SHIP orders from concurrent guests (GOMAXPROCS ×
// -cpu goroutines; run with -cpu 8 for 16 clients on two cores), all taking stock of the
// same variant at the warehouse: the hottest row the order path has.
func BenchmarkPlaceOrder(b *testing.B) {
	f := newFixture(b)
	sku, _ := f.variant(b, 49000, map[string]int{"WH-TAO": 10_000_000})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.svc.PlaceOrder(guest, shipInput(taipei(), line(sku, 1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
}
