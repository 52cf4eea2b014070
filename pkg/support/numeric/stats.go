package numeric

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Pearson returns the Pearson correlation of x and y (scipy.stats.pearsonr's statistic). It needs at least two
// pairs and a non-constant x and y.
func Pearson(x, y []float64) (float64, error) {
	if len(x) != len(y) {
		return 0, fmt.Errorf("analysis: Pearson: x has %d values but y has %d", len(x), len(y))
	}
	n := len(x)
	if n < 2 {
		return 0, fmt.Errorf("analysis: Pearson: need at least 2 pairs, got %d", n)
	}
	mx, my := 0.0, 0.0
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, errors.New("analysis: Pearson: a constant input has no correlation")
	}
	r := sxy / math.Sqrt(sxx*syy)
	return math.Max(-1, math.Min(1, r)), nil
}

// Spearman returns Spearman's rank correlation: the Pearson correlation of the ranks, tied values sharing their
// average rank (scipy.stats.spearmanr).
func Spearman(x, y []float64) (float64, error) {
	if len(x) != len(y) {
		return 0, fmt.Errorf("analysis: Spearman: x has %d values but y has %d", len(x), len(y))
	}
	r, err := Pearson(Ranks(x), Ranks(y))
	if err != nil {
		return 0, fmt.Errorf("analysis: Spearman: %w", err)
	}
	return r, nil
}

// Ranks returns the 1-based ranks of x, ties sharing the average of the ranks they span
// (scipy.stats.rankdata(method="average")).
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for t := i; t <= j; t++ {
			r[idx[t]] = avg
		}
		i = j + 1
	}
	return r
}

// Interval is a bootstrap confidence interval.
type Interval struct {
	Estimate float64 `json:"estimate"`  // the statistic on the original sample
	Lo       float64 `json:"lo"`        // lower percentile bound
	Hi       float64 `json:"hi"`        // upper percentile bound
	Level    float64 `json:"level"`     // confidence level, e.g. 0.95
	NBoot    int     `json:"n_boot"`    // resamples used
	NSkipped int     `json:"n_skipped"` // resamples on which the statistic failed (e.g. a constant resample), left out
}

// BootstrapCI resamples the pairs (x[i], y[i]) with replacement nBoot times, computes stat on each resample,
// and returns the percentile interval at the given confidence level (Efron's percentile bootstrap, like
// scipy.stats.bootstrap(method="percentile", paired=True); bounds by linear interpolation between order
// statistics, as numpy.percentile). Resamples on which stat fails are skipped and counted; more than half failing
// is an error. Seeded: the same seed gives the same interval.
func BootstrapCI(x, y []float64, stat func(x, y []float64) (float64, error), nBoot int, level float64, seed uint64) (Interval, error) {
	out := Interval{Level: level}
	if len(x) != len(y) {
		return out, fmt.Errorf("analysis: BootstrapCI: x has %d values but y has %d", len(x), len(y))
	}
	if nBoot < 2 {
		return out, fmt.Errorf("analysis: BootstrapCI: nBoot %d must be >= 2 (1000 or more is usual)", nBoot)
	}
	if !(level > 0 && level < 1) {
		return out, fmt.Errorf("analysis: BootstrapCI: level %v must be in (0, 1)", level)
	}
	est, err := stat(x, y)
	if err != nil {
		return out, fmt.Errorf("analysis: BootstrapCI: statistic on the full sample: %w", err)
	}
	out.Estimate = est
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	n := len(x)
	bx, by := make([]float64, n), make([]float64, n)
	vals := make([]float64, 0, nBoot)
	for b := 0; b < nBoot; b++ {
		for i := 0; i < n; i++ {
			j := rng.IntN(n)
			bx[i], by[i] = x[j], y[j]
		}
		v, err := stat(bx, by)
		if err != nil || math.IsNaN(v) {
			out.NSkipped++
			continue
		}
		vals = append(vals, v)
	}
	out.NBoot = len(vals)
	if out.NSkipped*2 > nBoot {
		return out, fmt.Errorf("analysis: BootstrapCI: the statistic failed on %d of %d resamples", out.NSkipped, nBoot)
	}
	sort.Float64s(vals)
	out.Lo = percentile(vals, (1-level)/2)
	out.Hi = percentile(vals, (1+level)/2)
	return out, nil
}

// percentile of sorted data at q in [0, 1], linear interpolation (numpy's default).
func percentile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(lo)
	return sorted[lo]*(1-f) + sorted[lo+1]*f
}
