package metrics_test

import (
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse/metrics"
)

// BenchmarkMonteCarlo is one busy project's forecast: 8,000 items left at about 150 a
// week (some 53 weeks a trial), 10,000 trials.
func BenchmarkMonteCarlo(b *testing.B) {
	today := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	samples := []uint64{120, 160, 0, 140, 180, 150, 155, 170, 130, 145, 165, 175}
	for b.Loop() {
		metrics.MonteCarlo(8000, samples, today, 10000, 20240601)
	}
}
