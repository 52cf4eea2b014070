package numeric

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestPCAMatchesSklearn(t *testing.T) {
	f := loadFixture(t)
	for _, tc := range []struct {
		name       string
		rows       int
		k          int
		components [][]float64
		ratio      []float64
	}{
		{"tall (covariance path)", len(f.Denoise.Vectors), f.PCA.NComponents, f.PCA.Components, f.PCA.ExplainedVarianceRatio},
		{"wide (SVD path)", f.PCA.WideRows, len(f.PCA.WideComponents), f.PCA.WideComponents, f.PCA.WideExplainedRatio},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := dense(f.Denoise.Vectors[:tc.rows])
			res, err := PCA(x, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			assertSliceClose(t, "explained variance ratio", res.ExplainedVarianceRatio, tc.ratio, 1e-10, 1e-8)
			// scikit-learn >= 1.5 flips signs so the largest-|loading| coordinate is positive, as PCA
			// documents; so the components match with their signs.
			assertClose(t, "components", res.Components, dense(tc.components), 1e-7, 0)
			// Scores are the centred data on the components.
			var want mat.Dense
			centred := mat.DenseCopyOf(x)
			n, d := x.Dims()
			for i := 0; i < n; i++ {
				for c := 0; c < d; c++ {
					centred.Set(i, c, x.At(i, c)-res.Mean[c])
				}
			}
			want.Mul(centred, res.Components.T())
			assertClose(t, "scores", res.Scores, &want, 1e-10, 0)
		})
	}
	res, _ := PCA(dense(f.Denoise.Vectors), f.PCA.NComponents)
	assertClose(t, "scores vs sklearn transform", res.Scores, dense(f.PCA.Scores), 1e-7, 0)
}

func TestPCAErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    *mat.Dense
		k    int
	}{
		{"one row", mat.NewDense(1, 3, []float64{1, 2, 3}), 1},
		{"too many components", mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 7}), 3},
		{"no variance", mat.NewDense(3, 2, []float64{1, 2, 1, 2, 1, 2}), 1},
		{"nil", nil, 1},
	} {
		if _, err := PCA(tc.x, tc.k); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestOrientByValenceAndArousal(t *testing.T) {
	f := loadFixture(t)
	names := f.Names
	for _, preflip := range []bool{false, true} {
		res, err := PCA(dense(f.Denoise.Vectors), 3)
		if err != nil {
			t.Fatal(err)
		}
		if preflip { // start from the opposite sign: the orientation must not depend on it
			for _, comp := range []int{0, 1} {
				if _, err := OrientComponent(res, comp, names, LowArousalEmotions[:0:0], nil); err == nil {
					t.Fatal("empty list accepted")
				}
				for c := 0; c < 16; c++ {
					res.Components.Set(comp, c, -res.Components.At(comp, c))
				}
				for i := range names {
					res.Scores.Set(i, comp, -res.Scores.At(i, comp))
				}
			}
		}
		before := mat.DenseCopyOf(res.Components)
		v, err := OrientByValence(res, names, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := OrientByArousal(res, names, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !(v.PositiveMean > v.NegativeMean) || !(a.PositiveMean > a.NegativeMean) {
			t.Errorf("preflip %v: valence %+v, arousal %+v: positive end not on top", preflip, v, a)
		}
		// Recompute from the oriented result: pleasant rows (the fixture's first 16) score above unpleasant ones.
		mean := func(from, to, comp int) float64 {
			s := 0.0
			for i := from; i < to; i++ {
				s += res.Scores.At(i, comp)
			}
			return s / float64(to-from)
		}
		if mean(0, 16, 0) <= mean(16, 32, 0) {
			t.Errorf("preflip %v: PC1 of pleasant %.3f <= unpleasant %.3f", preflip, mean(0, 16, 0), mean(16, 32, 0))
		}
		hi := (mean(0, 8, 1) + mean(16, 24, 1)) / 2
		lo := (mean(8, 16, 1) + mean(24, 32, 1)) / 2
		if hi <= lo {
			t.Errorf("preflip %v: PC2 of high arousal %.3f <= low %.3f", preflip, hi, lo)
		}
		// Flips are reported truthfully, and component 2 is untouched.
		for comp, o := range []Orientation{v, a} {
			same := mat.Dot(before.RowView(comp), res.Components.RowView(comp)) > 0
			if o.Flipped == same {
				t.Errorf("preflip %v: component %d Flipped=%v but the row sign changed=%v", preflip, comp, o.Flipped, !same)
			}
		}
		if math.Abs(mat.Dot(before.RowView(2), res.Components.RowView(2))-1) > 1e-12 {
			t.Error("component 3 changed")
		}
		if wp, wn := countIn(names, PleasantEmotions), countIn(names, UnpleasantEmotions); v.NPositive != wp || v.NNegative != wn {
			t.Errorf("valence list hits %d/%d, want %d/%d", v.NPositive, v.NNegative, wp, wn)
		}
	}
}

func TestOrientComponentErrors(t *testing.T) {
	res, err := PCA(mat.NewDense(3, 2, []float64{0, 0, 1, 0, 0, 2}), 2)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"happy", "sad", "calm"}
	for _, tc := range []struct {
		name  string
		comp  int
		names []string
	}{
		{"component out of range", 2, names},
		{"names count", 0, names[:2]},
		{"no unpleasant present", 0, []string{"happy", "calm", "joyful"}},
	} {
		if _, err := orientValence(res, tc.comp, tc.names); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func orientValence(res *PCAResult, comp int, names []string) (Orientation, error) {
	return OrientComponent(res, comp, names, PleasantEmotions, UnpleasantEmotions)
}

func countIn(names, list []string) int {
	n := 0
	for _, a := range names {
		for _, b := range list {
			if a == b {
				n++
			}
		}
	}
	return n
}
