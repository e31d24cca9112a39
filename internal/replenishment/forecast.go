package replenishment

import (
	"math"
)

// Demand forecasting from a daily sales series (index 0 is the oldest day, the last index
// is yesterday). Everything here is pure and deterministic: the same history gives the
// same forecast, bit for bit.
//
// Three methods, chosen by the shape of the history (Choose):
//
//   - Holt-Winters, additive trend and additive weekly seasonality (period m = 7), for
//     regular demand. With level ℓ, trend b and seasonal indices s (one per weekday):
//     one-step forecast      ŷ_t   = ℓ_{t-1} + b_{t-1} + s_{t-m}
//     level                  ℓ_t   = α (y_t − s_{t-m}) + (1 − α)(ℓ_{t-1} + b_{t-1})
//     trend                  b_t   = β (ℓ_t − ℓ_{t-1}) + (1 − β) b_{t-1}
//     season                 s_t   = γ (y_t − ℓ_t) + (1 − γ) s_{t-m}
//     h days ahead of day n  ŷ_n+h = ℓ_n + h·b_n + s_{n+h−m⌈h/m⌉}
//     Initial ℓ is the mean of the first week, b the weekly change of the mean between the
//     first two weeks divided by m, and s the mean deviation of each weekday from its
//     week's mean over up to the first four weeks. (α, β, γ) is the point of a fixed grid
//     with the least sum of squared one-step errors after the first week.
//   - Croston with the Syntetos–Boylan approximation (SBA), for intermittent demand: the
//     size of non-zero demands z and the interval between them p are smoothed separately
//     with α when a demand occurs (z ← α y + (1−α) z, p ← α q + (1−α) p, q the days since
//     the previous demand), and the daily rate is (1 − α/2)·z/p, flat over the horizon.
//     α is chosen from a grid by the least squared one-step error.
//   - Moving average of the history, when it is too short to fit either.
//
// Forecasts are never negative. Sigma is the root mean square of the fitted model's
// one-step (in-sample) errors: the σ of a day's forecast error that safety stock uses.

// Method names a forecasting method.
type Method string

// Forecasting methods.
const (
	HoltWinters   Method = "HOLT_WINTERS"
	Croston       Method = "CROSTON_SBA"
	MovingAverage Method = "MOVING_AVERAGE"
	// NoDemand: nothing sold in the history; the forecast is zero.
	NoDemand Method = "NO_DEMAND"
)

// Season is the seasonal period, in days: demand follows the week.
const Season = 7

// Choice thresholds (see Choose).
const (
	// MinSeasonalHistory is the least history, in days, to fit Holt-Winters or Croston:
	// four weeks gives each weekday four observations to start its seasonal index from.
	MinSeasonalHistory = 4 * Season
	// IntermittentADI is the average demand interval (days per day with a sale) from which
	// demand counts as intermittent and Croston is used: Syntetos, Boylan and Croston's
	// cut-off (2005), 1.32, i.e. about a quarter of the days without a sale.
	IntermittentADI = 1.32
	// movingAverageWindow is how many of the latest days the moving average takes.
	movingAverageWindow = 28
)

// Forecast is a demand forecast for one variant at one location.
type Forecast struct {
	Method Method
	// Daily is the expected demand of each future day, from tomorrow.
	Daily []float64
	// Sigma is the standard deviation of a one-day forecast error (units).
	Sigma float64
	// HistoryDays is the length of the history; ZeroDays how many of them had no sale.
	HistoryDays, ZeroDays int
	// Alpha, Beta, Gamma are the fitted smoothing parameters (Beta and Gamma for
	// Holt-Winters only).
	Alpha, Beta, Gamma float64
}

// PerDay is the mean daily demand over the first days of the forecast (all of it when
// days is 0 or beyond the horizon).
func (f Forecast) PerDay(days int) float64 {
	if days <= 0 || days > len(f.Daily) {
		days = len(f.Daily)
	}
	if days == 0 {
		return 0
	}
	return sum(f.Daily[:days]) / float64(days)
}

// Total is the demand forecast over days from..to-1 (0 is tomorrow).
func (f Forecast) Total(from, to int) float64 {
	from, to = max(0, min(from, len(f.Daily))), max(0, min(to, len(f.Daily)))
	if to <= from {
		return 0
	}
	return sum(f.Daily[from:to])
}

// Choose picks the method for a history: NoDemand when nothing sold, MovingAverage when
// the history is shorter than MinSeasonalHistory, Croston when the average demand interval
// (days / days with a sale) is at least IntermittentADI, Holt-Winters otherwise.
func Choose(history []float64) Method {
	n := len(history)
	nonZero := 0
	for _, y := range history {
		if y > 0 {
			nonZero++
		}
	}
	switch {
	case nonZero == 0:
		return NoDemand
	case n < MinSeasonalHistory:
		return MovingAverage
	case float64(n)/float64(nonZero) >= IntermittentADI:
		return Croston
	default:
		return HoltWinters
	}
}

// Predict forecasts horizon days after history with the method Choose picks.
func Predict(history []float64, horizon int) Forecast {
	return PredictWith(Choose(history), history, horizon)
}

// PredictWith forecasts horizon days after history with method m. Holt-Winters and
// Croston fall back to a moving average on a history too short for them.
func PredictWith(m Method, history []float64, horizon int) Forecast {
	horizon = max(0, horizon)
	f := Forecast{Method: m, HistoryDays: len(history)}
	for _, y := range history {
		if y <= 0 {
			f.ZeroDays++
		}
	}
	switch {
	case m == HoltWinters && len(history) >= 2*Season:
		hw := FitHoltWinters(history)
		f.Daily, f.Sigma, f.Alpha, f.Beta, f.Gamma = hw.Forecast(horizon), hw.Sigma, hw.Alpha, hw.Beta, hw.Gamma
	case m == Croston && len(history) >= 2:
		c := FitCroston(history)
		f.Daily, f.Sigma, f.Alpha = c.Forecast(horizon), c.Sigma, c.Alpha
	case m == NoDemand || len(history) == 0:
		f.Method, f.Daily = NoDemand, make([]float64, horizon)
	default:
		f.Method = MovingAverage
		f.Daily, f.Sigma = movingAverage(history, horizon)
	}
	return f
}

// movingAverage is the mean of the latest movingAverageWindow days, flat, with the
// standard deviation of those days as sigma.
func movingAverage(history []float64, horizon int) ([]float64, float64) {
	w := history[max(0, len(history)-movingAverageWindow):]
	mean := sum(w) / float64(len(w))
	var ss float64
	for _, y := range w {
		ss += (y - mean) * (y - mean)
	}
	sigma := 0.0
	if len(w) > 1 {
		sigma = math.Sqrt(ss / float64(len(w)-1))
	}
	return flat(mean, horizon), sigma
}

// HoltWintersModel is a fitted additive Holt-Winters model at the end of its history.
type HoltWintersModel struct {
	Alpha, Beta, Gamma float64
	Level, Trend       float64
	// Seasonal holds the seasonal index of each position in the week; Next is the position
	// of the day after the history.
	Seasonal [Season]float64
	Next     int
	// Sigma is the RMS one-step error after the first week.
	Sigma float64
}

// The grid (α, β, γ) is searched on: 6 × 4 × 5 = 120 fits of one pass each.
var (
	hwAlphas = []float64{0.02, 0.05, 0.1, 0.2, 0.3, 0.5}
	hwBetas  = []float64{0, 0.01, 0.05, 0.1}
	hwGammas = []float64{0.01, 0.05, 0.1, 0.2, 0.3}
)

// FitHoltWinters fits the additive Holt-Winters model to history (at least two weeks).
func FitHoltWinters(history []float64) HoltWintersModel {
	init := hwInit(history)
	best := HoltWintersModel{Sigma: math.Inf(1)}
	bestSSE := math.Inf(1)
	for _, a := range hwAlphas {
		for _, b := range hwBetas {
			for _, g := range hwGammas {
				m := init
				m.Alpha, m.Beta, m.Gamma = a, b, g
				sse, n := m.run(history, bestSSE)
				if sse < bestSSE {
					bestSSE = sse
					best = m
					best.Sigma = math.Sqrt(sse / float64(max(1, n)))
				}
			}
		}
	}
	return best
}

// hwInit is the starting state: level the first week's mean, trend the change of the
// weekly mean between the first two weeks per day, seasonal indices the mean deviation of
// each weekday from its week's mean over up to four weeks.
func hwInit(y []float64) HoltWintersModel {
	var m HoltWintersModel
	w1 := sum(y[:Season]) / Season
	w2 := sum(y[Season:2*Season]) / Season
	m.Level = w1
	m.Trend = (w2 - w1) / Season
	weeks := min(4, len(y)/Season)
	for k := range weeks {
		mean := sum(y[k*Season:(k+1)*Season]) / Season
		for i := range Season {
			m.Seasonal[i] += (y[k*Season+i] - mean) / float64(weeks)
		}
	}
	return m
}

// run updates m through y from its initial state and returns the sum of squared one-step
// errors after the first week and how many there were. It stops early, with m incomplete,
// once the sum reaches limit: that fit cannot be the best one.
func (m *HoltWintersModel) run(y []float64, limit float64) (float64, int) {
	var sse float64
	n := 0
	for t, v := range y {
		i := t % Season
		s := m.Seasonal[i]
		if t >= Season {
			e := v - (m.Level + m.Trend + s)
			sse += e * e
			n++
			if sse >= limit {
				return sse, n
			}
		}
		level := m.Alpha*(v-s) + (1-m.Alpha)*(m.Level+m.Trend)
		m.Trend = m.Beta*(level-m.Level) + (1-m.Beta)*m.Trend
		m.Level = level
		m.Seasonal[i] = m.Gamma*(v-level) + (1-m.Gamma)*s
	}
	m.Next = len(y) % Season
	return sse, n
}

// Forecast is the expected demand of each of the next horizon days, never negative.
func (m HoltWintersModel) Forecast(horizon int) []float64 {
	out := make([]float64, horizon)
	for h := range horizon {
		out[h] = max(0, m.Level+float64(h+1)*m.Trend+m.Seasonal[(m.Next+h)%Season])
	}
	return out
}

// CrostonModel is a fitted Croston (SBA) model at the end of its history.
type CrostonModel struct {
	Alpha float64
	// Size is the smoothed size of a non-zero demand, Interval the smoothed days between
	// demands.
	Size, Interval float64
	Sigma          float64
}

var crostonAlphas = []float64{0.05, 0.1, 0.15, 0.2, 0.3, 0.4}

// FitCroston fits Croston's method with the SBA correction to history.
func FitCroston(history []float64) CrostonModel {
	best := CrostonModel{Sigma: math.Inf(1)}
	bestSSE := math.Inf(1)
	for _, a := range crostonAlphas {
		m, sse, n := runCroston(history, a)
		if sse < bestSSE {
			bestSSE = sse
			best = m
			best.Sigma = math.Sqrt(sse / float64(max(1, n)))
		}
	}
	return best
}

// runCroston starts at the first sale (size that sale, interval the mean interval of the
// whole history) and returns the sum of squared one-step errors after it.
func runCroston(y []float64, alpha float64) (CrostonModel, float64, int) {
	m := CrostonModel{Alpha: alpha}
	first, nonZero := -1, 0
	for t, v := range y {
		if v > 0 {
			if first < 0 {
				first = t
			}
			nonZero++
		}
	}
	if first < 0 {
		return m, 0, 0
	}
	m.Size = y[first]
	m.Interval = float64(len(y)) / float64(nonZero)
	var sse float64
	n, q := 0, 1
	for t := first + 1; t < len(y); t++ {
		e := y[t] - m.rate()
		sse += e * e
		n++
		if y[t] > 0 {
			m.Size = alpha*y[t] + (1-alpha)*m.Size
			m.Interval = alpha*float64(q) + (1-alpha)*m.Interval
			q = 1
		} else {
			q++
		}
	}
	return m, sse, n
}

// rate is the SBA daily demand rate: (1 − α/2) z / p.
func (m CrostonModel) rate() float64 {
	if m.Interval <= 0 {
		return 0
	}
	return (1 - m.Alpha/2) * m.Size / m.Interval
}

// Forecast is the flat daily rate over horizon days.
func (m CrostonModel) Forecast(horizon int) []float64 { return flat(m.rate(), horizon) }

func flat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}
