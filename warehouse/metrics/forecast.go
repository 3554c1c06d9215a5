package metrics

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Forecast is a project's Monte Carlo finish forecast from its remaining scope and its
// recent weekly throughput.
type Forecast struct {
	Remaining int      `json:"remaining"`
	Samples   []uint64 `json:"samples"` // weekly throughput the simulation drew from
	P50       string   `json:"p50"`     // finish date (YYYY-MM-DD) reached in 50% of trials
	P85       string   `json:"p85"`
	P50Weeks  int      `json:"p50_weeks"`
	P85Weeks  int      `json:"p85_weeks"`
	// Reason says why there are no dates (no throughput to draw from), when there are none.
	Reason string `json:"reason,omitempty"`
}

// maxForecastWeeks caps a trial: beyond ten years the answer is "not at this pace".
const maxForecastWeeks = 520

// MonteCarlo simulates trials futures: each draws a week's throughput from samples until
// remaining items are done. The 50th and 85th percentiles of the weeks needed, counted
// from today, are the forecast dates. A fixed seed gives the same answer every time.
func MonteCarlo(remaining int, samples []uint64, today time.Time, trials int, seed uint64) Forecast {
	f := Forecast{Remaining: remaining, Samples: samples}
	day := func(weeks int) string { return today.AddDate(0, 0, 7*weeks).Format(time.DateOnly) }
	if remaining <= 0 {
		f.P50, f.P85 = day(0), day(0)
		return f
	}
	if !slices.ContainsFunc(samples, func(n uint64) bool { return n > 0 }) {
		f.Reason = "no items finished in the sampled weeks: no pace to forecast from"
		return f
	}
	if trials <= 0 {
		trials = 10000
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	weeks := make([]int, trials)
	for i := range weeks {
		left, n := remaining, 0
		for left > 0 && n < maxForecastWeeks {
			left -= int(samples[rng.IntN(len(samples))])
			n++
		}
		weeks[i] = n
	}
	slices.Sort(weeks)
	f.P50Weeks = weeks[percentileIndex(trials, 0.50)]
	f.P85Weeks = weeks[percentileIndex(trials, 0.85)]
	f.P50, f.P85 = day(f.P50Weeks), day(f.P85Weeks)
	if f.P85Weeks >= maxForecastWeeks {
		f.Reason = "more than ten years at the recent pace"
	}
	return f
}

// percentileIndex is the nearest-rank index of p in n sorted values.
func percentileIndex(n int, p float64) int {
	i := int(float64(n)*p+0.999999) - 1
	return max(0, min(n-1, i))
}
