package replenishment_test

import (
	"testing"

	"atrium/internal/replenishment"
)

// BenchmarkPredictDemoScale fits the forecasts of 4,350 levels (725 variants at 6
// locations) with 26 weeks of history: two in three regular (Holt-Winters), one in three
// intermittent (Croston). CPU only, one core.
func BenchmarkPredictDemoScale(b *testing.B) {
	series := make([][]float64, 4350)
	for i := range series {
		if i%3 == 0 {
			series[i] = intermittentSeries(uint64(i), 182)
		} else {
			series[i] = regularSeries(uint64(i), 182)
		}
	}
	for b.Loop() {
		for _, y := range series {
			replenishment.Predict(y, 21)
		}
	}
}
