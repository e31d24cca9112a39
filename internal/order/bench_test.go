package order_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// benchClients is how many clients place orders at once: the load target.
const benchClients = 16

// BenchmarkPlaceOrder places one-line SHIP orders from 16 concurrent guests (whatever
// -cpu says): all of them taking stock of the same variant at the warehouse, the hottest
// row the order path has, and spread over 8 variants, as a shop's orders are.
func BenchmarkPlaceOrder(b *testing.B) {
	for _, bc := range []struct {
		name     string
		variants int
	}{{"one variant", 1}, {"8 variants", 8}} {
		b.Run(bc.name, func(b *testing.B) {
			f := newFixture(b)
			skus := make([]string, bc.variants)
			for i := range skus {
				skus[i], _ = f.variant(b, 49000, map[string]int{"WH-TAO": 10_000_000})
			}
			var next atomic.Int64
			b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					sku := skus[int(next.Add(1))%len(skus)]
					if _, err := f.svc.PlaceOrder(guest, shipInput(taipei(), line(sku, 1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
		})
	}
}
