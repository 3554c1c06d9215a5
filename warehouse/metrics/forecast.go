package metrics

import (
	"math/bits"
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
	pc := newPace(samples)
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	// weeks needed are at most maxForecastWeeks: count them instead of sorting trials
	var needed [maxForecastWeeks + 1]int
	for range trials {
		needed[pc.weeksToFinish(remaining, src)]++
	}
	f.P50Weeks = nthWeeks(&needed, percentileIndex(trials, 0.50))
	f.P85Weeks = nthWeeks(&needed, percentileIndex(trials, 0.85))
	f.P50, f.P85 = day(f.P50Weeks), day(f.P85Weeks)
	if f.P85Weeks >= maxForecastWeeks {
		f.Reason = "more than ten years at the recent pace"
	}
	return f
}

// nthWeeks is the i-th smallest (from 0) number of weeks among the trials counted.
func nthWeeks(needed *[maxForecastWeeks + 1]int, i int) int {
	for w, n := range needed {
		if i < n {
			return w
		}
		i -= n
	}
	return maxForecastWeeks
}

// pace draws weekly throughput from the samples, each week independently and uniformly.
// Far from the finish it draws k weeks at once from the sums of every sequence of k
// samples (each of the n^k sequences once, so one uniform draw among them is exactly k
// independent weekly draws): a busy project's trial then takes a few draws, not one a
// week. Near the finish it draws week by week, to find the very week the work ends.
type pace struct {
	samples []uint64
	block   []uint64 // the sum of each sequence of k samples
	k       int
	safe    int // with more than this left, the first k-1 weeks of a block cannot finish
}

// maxBlockTable bounds the block table (entries): it stays in the CPU's cache.
const maxBlockTable = 1 << 16

func newPace(samples []uint64) pace {
	p := pace{samples: samples, block: []uint64{0}}
	top := slices.Max(samples)
	for p.k < 8 && len(p.block)*len(samples) <= maxBlockTable {
		next := make([]uint64, 0, len(p.block)*len(samples))
		for _, sum := range p.block {
			for _, s := range samples {
				next = append(next, sum+s)
			}
		}
		p.block, p.k = next, p.k+1
	}
	p.safe = (p.k - 1) * int(min(top, maxBlockTable))
	return p
}

// weeksToFinish simulates one future: the weeks until remaining items are done, at most
// maxForecastWeeks.
func (p *pace) weeksToFinish(remaining int, src *rand.PCG) int {
	left, n := remaining, 0
	for left > p.safe && n+p.k <= maxForecastWeeks {
		left -= int(p.block[draw(src, len(p.block))])
		n += p.k
	}
	for left > 0 && n < maxForecastWeeks {
		left -= int(p.samples[draw(src, len(p.samples))])
		n++
	}
	return n
}

// draw is a uniform index below n (n is small: the bias of the multiply-shift is below
// 2^-47).
func draw(src *rand.PCG, n int) int {
	hi, _ := bits.Mul64(src.Uint64(), uint64(n))
	return int(hi)
}

// percentileIndex is the nearest-rank index of p in n sorted values.
func percentileIndex(n int, p float64) int {
	i := int(float64(n)*p+0.999999) - 1
	return max(0, min(n-1, i))
}
