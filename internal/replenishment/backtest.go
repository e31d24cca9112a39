package replenishment

import (
	"fmt"
	"math"
)

// Forecaster forecasts horizon days after a history.
type Forecaster func(history []float64, horizon int) []float64

// Using returns the Forecaster of method m (Choose's pick when m is empty).
func Using(m Method) Forecaster {
	return func(history []float64, horizon int) []float64 {
		if m == "" {
			return Predict(history, horizon).Daily
		}
		return PredictWith(m, history, horizon).Daily
	}
}

// SeasonalNaive forecasts each day as the same weekday of the last week: the benchmark
// MASE scales by.
func SeasonalNaive(history []float64, horizon int) []float64 {
	out := make([]float64, horizon)
	n := len(history)
	for h := range out {
		if n >= Season {
			out[h] = history[n-Season+h%Season]
		} else if n > 0 {
			out[h] = history[n-1]
		}
	}
	return out
}

// BacktestConfig says how to evaluate: Origins forecasts made Step days apart, the last
// one Horizon days before the end of the series, each compared with the Horizon days that
// followed it.
type BacktestConfig struct {
	Origins, Step, Horizon int
}

// Accuracy is the error of a forecaster over a rolling-origin back-test. With e = forecast
// − actual over every (origin, day ahead) pair:
//
//	MAE          = mean |e|
//	WAPE         = Σ|e| / Σ actual                    (robust to days without sales)
//	MASE         = MAE / mean |y_t − y_{t−7}| on the history before the first origin
//	               (below 1: better than repeating last week)
//	Bias         = Σ e / Σ actual                     (positive: over-forecast)
//	HorizonWAPE  = Σ_origins |Σ_h e| / Σ_origins Σ_h actual
//	               (the error of the demand over the whole horizon, which is what a reorder
//	               point needs; daily errors of intermittent demand largely cancel in it)
type Accuracy struct {
	Points                             int
	MAE, WAPE, MASE, Bias, HorizonWAPE float64
	RMSE                               float64
}

// String prints the figures for reports.
func (a Accuracy) String() string {
	return fmt.Sprintf("MAE %.3f, RMSE %.3f, WAPE %.1f%%, MASE %.3f, bias %+.1f%%, horizon WAPE %.1f%% (%d points)",
		a.MAE, a.RMSE, 100*a.WAPE, a.MASE, 100*a.Bias, 100*a.HorizonWAPE, a.Points)
}

// Backtest evaluates fc on series by rolling origin: for each origin t it forecasts from
// series[:t] and compares with series[t:t+Horizon]. It returns an error when the series is
// too short for the configuration (every origin needs at least two weeks before it).
func Backtest(series []float64, cfg BacktestConfig, fc Forecaster) (Accuracy, error) {
	if cfg.Origins < 1 || cfg.Step < 1 || cfg.Horizon < 1 {
		return Accuracy{}, fmt.Errorf("backtest: origins, step and horizon are at least 1")
	}
	first := len(series) - cfg.Horizon - (cfg.Origins-1)*cfg.Step
	if first < 2*Season {
		return Accuracy{}, fmt.Errorf("backtest: a series of %d days is too short for %d origins %d days apart with a %d-day horizon",
			len(series), cfg.Origins, cfg.Step, cfg.Horizon)
	}
	var a Accuracy
	var absErr, sqErr, sumErr, actual, horizonAbs float64
	for k := range cfg.Origins {
		t := first + k*cfg.Step
		got := fc(series[:t], cfg.Horizon)
		var he float64
		for h := range cfg.Horizon {
			e := got[h] - series[t+h]
			absErr += math.Abs(e)
			sqErr += e * e
			sumErr += e
			he += e
			actual += series[t+h]
			a.Points++
		}
		horizonAbs += math.Abs(he)
	}
	n := float64(a.Points)
	a.MAE, a.RMSE = absErr/n, math.Sqrt(sqErr/n)
	if actual > 0 {
		a.WAPE, a.Bias, a.HorizonWAPE = absErr/actual, sumErr/actual, horizonAbs/actual
	}
	var scale float64
	for t := Season; t < first; t++ {
		scale += math.Abs(series[t] - series[t-Season])
	}
	scale /= float64(first - Season)
	if scale > 0 {
		a.MASE = a.MAE / scale
	} else if a.MAE > 0 {
		a.MASE = math.Inf(1)
	}
	return a, nil
}
