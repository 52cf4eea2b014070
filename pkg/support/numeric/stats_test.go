package numeric

import (
	"math"
	"testing"
)

func TestCorrelationsMatchScipy(t *testing.T) {
	s := loadFixture(t).Stats
	for _, tc := range []struct {
		name string
		fn   func(x, y []float64) (float64, error)
		x, y []float64
		want float64
	}{
		{"pearson", Pearson, s.X, s.Y, s.Pearson},
		{"spearman", Spearman, s.X, s.Y, s.Spearman},
		{"pearson ties", Pearson, s.TiesX, s.TiesY, s.TiesPearson},
		{"spearman ties", Spearman, s.TiesX, s.TiesY, s.TiesSpearman},
	} {
		got, err := tc.fn(tc.x, tc.y)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s = %.15f, scipy %.15f", tc.name, got, tc.want)
		}
	}
	assertSliceClose(t, "average ranks", Ranks(s.TiesX), s.TiesRanksX, 0, 0)
}

func TestCorrelationErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y []float64
	}{
		{"lengths", []float64{1, 2}, []float64{1}},
		{"one pair", []float64{1}, []float64{2}},
		{"constant", []float64{1, 1, 1}, []float64{1, 2, 3}},
	} {
		if _, err := Pearson(tc.x, tc.y); err == nil {
			t.Errorf("Pearson %s: no error", tc.name)
		}
		if _, err := Spearman(tc.x, tc.y); err == nil {
			t.Errorf("Spearman %s: no error", tc.name)
		}
	}
}

func TestBootstrapCI(t *testing.T) {
	s := loadFixture(t).Stats
	ci, err := BootstrapCI(s.X, s.Y, Pearson, 4000, 0.95, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Different random streams: the bounds agree with scipy's percentile bootstrap up to Monte Carlo error.
	if math.Abs(ci.Lo-s.Bootstrap95[0]) > 0.03 || math.Abs(ci.Hi-s.Bootstrap95[1]) > 0.03 {
		t.Errorf("95%% CI [%.4f, %.4f], scipy [%.4f, %.4f]", ci.Lo, ci.Hi, s.Bootstrap95[0], s.Bootstrap95[1])
	}
	if ci.Estimate != s.Pearson && math.Abs(ci.Estimate-s.Pearson) > 1e-12 {
		t.Errorf("estimate %v, want %v", ci.Estimate, s.Pearson)
	}
	if !(ci.Lo < ci.Estimate && ci.Estimate < ci.Hi) {
		t.Errorf("estimate %v outside [%v, %v]", ci.Estimate, ci.Lo, ci.Hi)
	}
	again, _ := BootstrapCI(s.X, s.Y, Pearson, 4000, 0.95, 0)
	if again != ci {
		t.Error("same seed, different interval")
	}
	narrow, _ := BootstrapCI(s.X, s.Y, Pearson, 4000, 0.5, 0)
	if !(narrow.Hi-narrow.Lo < ci.Hi-ci.Lo) {
		t.Error("a 50% interval is not narrower than a 95% one")
	}
	if _, err := BootstrapCI(s.X, s.Y, Pearson, 100, 1.5, 0); err == nil {
		t.Error("level 1.5 accepted")
	}
}
