package replenishment_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"atrium/internal/replenishment"
)

// weekly is the true weekly pattern of the synthetic regular series (it sums to 0).
var weekly = [7]float64{-4, -3, -2, -1, 1, 4, 5}

// trueMean is the synthetic regular series' expected demand on day t: level 20, trend
// 0.08 a day, the weekly pattern.
func trueMean(t int) float64 { return 20 + 0.08*float64(t) + weekly[t%7] }

const noiseSD = 2.0

// regularSeries is trueMean plus normal noise (σ = noiseSD), rounded to whole units.
func regularSeries(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for t := range y {
		y[t] = math.Max(0, math.Round(trueMean(t)+r.NormFloat64()*noiseSD))
	}
	return y
}

// intermittentSeries sells on 12% of the days, 1 to 4 units each time.
func intermittentSeries(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	y := make([]float64, n)
	for t := range y {
		if r.Float64() < 0.12 {
			y[t] = 1 + float64(r.IntN(4))
		}
	}
	return y
}

// TestHoltWintersOnTrendAndSeasonality back-tests the chosen method on 26 weeks of demand
// with a known trend and weekly pattern plus noise: 8 origins a week apart, 14 days ahead
// each. The bound is justified by the noise: even the true mean function misses each day
// by E|ε| = σ·√(2/π) (σ² = 2² + 1/12 with the rounding to whole units), so WAPE cannot go
// below E|ε| / mean demand (about 4.8% here); the fitted model must stay within 30% of
// that floor, beat repeating last week (MASE < 1) and the moving average, and be unbiased
// within 3%.
func TestHoltWintersOnTrendAndSeasonality(t *testing.T) {
	cfg := replenishment.BacktestConfig{Origins: 8, Step: 7, Horizon: 14}
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			y := regularSeries(seed, 182)
			if m := replenishment.Choose(y); m != replenishment.HoltWinters {
				t.Fatalf("Choose = %s, want HOLT_WINTERS", m)
			}
			hw, err := replenishment.Backtest(y, cfg, replenishment.Using(""))
			if err != nil {
				t.Fatal(err)
			}
			ma, _ := replenishment.Backtest(y, cfg, replenishment.Using(replenishment.MovingAverage))
			naive, _ := replenishment.Backtest(y, cfg, replenishment.SeasonalNaive)
			first := len(y) - cfg.Horizon - (cfg.Origins-1)*cfg.Step
			var actual float64
			for k := range cfg.Origins {
				for h := range cfg.Horizon {
					actual += y[first+k*cfg.Step+h]
				}
			}
			floor := math.Sqrt(noiseSD*noiseSD+1.0/12) * math.Sqrt(2/math.Pi) / (actual / float64(hw.Points))
			t.Logf("Holt-Winters %v; noise floor WAPE %.1f%%", hw, 100*floor)
			t.Logf("moving average %v; seasonal naive %v", ma, naive)
			if hw.WAPE > 1.3*floor {
				t.Errorf("WAPE %.2f%% above 1.3 × the noise floor %.2f%%", 100*hw.WAPE, 100*floor)
			}
			if hw.MASE >= 0.9 {
				t.Errorf("MASE %.3f: not clearly better than repeating last week", hw.MASE)
			}
			if hw.MAE >= ma.MAE || hw.MAE >= naive.MAE {
				t.Errorf("MAE %.3f not below moving average %.3f and seasonal naive %.3f", hw.MAE, ma.MAE, naive.MAE)
			}
			if math.Abs(hw.Bias) > 0.03 {
				t.Errorf("bias %+.1f%%", 100*hw.Bias)
			}
		})
	}
}

// TestHoltWintersLearnsTrendAndWeek checks the fitted model against the true mean
// function: its next two weeks are within one unit of the truth on average (the noise is
// two units a day), and its trend is near the true 0.08 a day.
func TestHoltWintersLearnsTrendAndWeek(t *testing.T) {
	y := regularSeries(7, 182)
	m := replenishment.FitHoltWinters(y)
	got := m.Forecast(14)
	var dev float64
	for h, v := range got {
		dev += math.Abs(v - trueMean(len(y)+h))
	}
	dev /= float64(len(got))
	t.Logf("α %.2f β %.2f γ %.2f, level %.2f, trend %.3f, σ %.2f, mean deviation from the truth %.2f",
		m.Alpha, m.Beta, m.Gamma, m.Level, m.Trend, m.Sigma, dev)
	if dev > 1 {
		t.Errorf("forecast is %.2f units a day from the true mean on average", dev)
	}
	if m.Trend < 0.04 || m.Trend > 0.12 {
		t.Errorf("trend %.3f, want about 0.08", m.Trend)
	}
	if m.Sigma < 0.8*noiseSD || m.Sigma > 1.3*noiseSD {
		t.Errorf("σ %.2f, want about the noise %.1f", m.Sigma, noiseSD)
	}
}

// TestCrostonOnIntermittentDemand back-tests 52 weeks of intermittent demand (a sale on
// 12% of the days): Croston (SBA) is what Choose picks, and it beats Holt-Winters on every
// seed by RMSE (the criterion of a mean forecast) and on average over the seeds by the
// error of the demand over the 14-day horizon, which the reorder point depends on.
func TestCrostonOnIntermittentDemand(t *testing.T) {
	cfg := replenishment.BacktestConfig{Origins: 36, Step: 7, Horizon: 14}
	var hwH, crH float64
	const seeds = 10
	for seed := uint64(1); seed <= seeds; seed++ {
		y := intermittentSeries(seed, 364)
		if m := replenishment.Choose(y); m != replenishment.Croston {
			t.Fatalf("seed %d: Choose = %s, want CROSTON_SBA", seed, m)
		}
		hw, err := replenishment.Backtest(y, cfg, replenishment.Using(replenishment.HoltWinters))
		if err != nil {
			t.Fatal(err)
		}
		cr, _ := replenishment.Backtest(y, cfg, replenishment.Using(""))
		t.Logf("seed %d\n  Croston      %v\n  Holt-Winters %v", seed, cr, hw)
		if cr.RMSE >= hw.RMSE {
			t.Errorf("seed %d: Croston RMSE %.3f not below Holt-Winters %.3f", seed, cr.RMSE, hw.RMSE)
		}
		hwH += hw.HorizonWAPE / seeds
		crH += cr.HorizonWAPE / seeds
	}
	t.Logf("mean horizon WAPE: Croston %.1f%%, Holt-Winters %.1f%%", 100*crH, 100*hwH)
	if crH > hwH-0.10 {
		t.Errorf("mean horizon WAPE: Croston %.1f%% not 10 points below Holt-Winters %.1f%%", 100*crH, 100*hwH)
	}
}

func TestChoose(t *testing.T) {
	regular := regularSeries(1, 56)
	tests := []struct {
		name    string
		history []float64
		want    replenishment.Method
	}{
		{"no history", nil, replenishment.NoDemand},
		{"nothing sold", make([]float64, 90), replenishment.NoDemand},
		{"three weeks", regular[:21], replenishment.MovingAverage},
		{"eight weeks of daily sales", regular, replenishment.HoltWinters},
		{"a sale every other day", alternate(60), replenishment.Croston},
		{"intermittent", intermittentSeries(3, 120), replenishment.Croston},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := replenishment.Choose(tt.history); got != tt.want {
				t.Errorf("Choose = %s, want %s", got, tt.want)
			}
			f := replenishment.Predict(tt.history, 10)
			if f.Method != tt.want || len(f.Daily) != 10 {
				t.Errorf("Predict: method %s with %d days", f.Method, len(f.Daily))
			}
			for _, v := range f.Daily {
				if v < 0 || math.IsNaN(v) {
					t.Errorf("forecast %v", f.Daily)
				}
			}
		})
	}
}

func alternate(n int) []float64 {
	y := make([]float64, n)
	for i := 0; i < n; i += 2 {
		y[i] = 2
	}
	return y
}

func TestForecastsAreDeterministicAndExactOnConstantDemand(t *testing.T) {
	y := regularSeries(3, 120)
	a, b := replenishment.Predict(y, 30), replenishment.Predict(y, 30)
	if !slices.Equal(a.Daily, b.Daily) || a.Sigma != b.Sigma {
		t.Error("two forecasts of one history differ")
	}
	constant := make([]float64, 56)
	for i := range constant {
		constant[i] = 4
	}
	f := replenishment.Predict(constant, 7)
	for _, v := range f.Daily {
		if math.Abs(v-4) > 1e-9 {
			t.Fatalf("constant demand of 4 forecast as %v", f.Daily)
		}
	}
	if f.Sigma > 1e-9 {
		t.Errorf("σ %v on a constant series", f.Sigma)
	}
	// A short history is averaged: 21 days of 4 units.
	short := replenishment.Predict(constant[:21], 5)
	if short.Method != replenishment.MovingAverage || math.Abs(short.PerDay(0)-4) > 1e-9 {
		t.Errorf("short history: %s %.2f", short.Method, short.PerDay(0))
	}
}

func TestPolicy(t *testing.T) {
	flat := func(perDay, sigma float64, days int) replenishment.Forecast {
		f := replenishment.Forecast{Sigma: sigma, Daily: make([]float64, days)}
		for i := range f.Daily {
			f.Daily[i] = perDay
		}
		return f
	}
	tests := []struct {
		name                   string
		f                      replenishment.Forecast
		lead, review           int
		level                  float64
		floor                  int
		wantSS, wantROP, wantS int
	}{
		// z(95%) = 1.6449; SS = 1.6449 · 3 · √4 = 9.87 → 10; ROP = ⌈40 + 9.87⌉ = 50;
		// OUT = 50 + 7 · 10.
		{"95%", flat(10, 3, 11), 4, 7, 0.95, 0, 10, 50, 120},
		// z(50%) = 0: no safety stock.
		{"50%", flat(10, 3, 11), 4, 7, 0.5, 0, 0, 40, 110},
		// z(99%) = 2.3263; SS = 2.3263 · 2 · √9 = 13.96 → 14; ROP = ⌈4.5 + 13.96⌉ = 19.
		{"99% slow mover", flat(0.5, 2, 16), 9, 7, 0.99, 0, 14, 19, 23},
		// The display stock of 6 is the least reorder point.
		{"floor", flat(0.1, 0, 14), 7, 7, 0.95, 6, 0, 6, 7},
		{"no demand", flat(0, 0, 14), 7, 7, 0.95, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := replenishment.NewPolicy(tt.f, tt.lead, tt.review, tt.level, tt.floor)
			if p.SafetyStock != tt.wantSS || p.ReorderPoint != tt.wantROP || p.OrderUpTo != tt.wantS {
				t.Errorf("SS %d, ROP %d, OUT %d; want %d, %d, %d", p.SafetyStock, p.ReorderPoint, p.OrderUpTo,
					tt.wantSS, tt.wantROP, tt.wantS)
			}
		})
	}
	for _, c := range []struct{ p, z float64 }{{0.5, 0}, {0.95, 1.644854}, {0.975, 1.959964}, {0.99, 2.326348}} {
		if got := replenishment.Z(c.p); math.Abs(got-c.z) > 1e-5 {
			t.Errorf("Z(%v) = %v, want %v", c.p, got, c.z)
		}
	}
}

func TestBacktestRefusesShortSeries(t *testing.T) {
	_, err := replenishment.Backtest(make([]float64, 30), replenishment.BacktestConfig{Origins: 4, Step: 7, Horizon: 7},
		replenishment.SeasonalNaive)
	if err == nil {
		t.Error("a 30-day series accepted for 4 weekly origins and a week's horizon")
	}
}
