package validate

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// logisticCase is one case of testdata/logistic_fixtures.json (tools/reference/make_validate_fixtures.py:
// scikit-learn 1.9.1 StandardScaler + LogisticRegression(C, lbfgs, tol 1e-12)).
type logisticCase struct {
	XTrain    [][]float64 `json:"x_train"`
	YTrain    []int       `json:"y_train"`
	XTest     [][]float64 `json:"x_test"`
	C         float64     `json:"c"`
	NClasses  int         `json:"n_classes"`
	Mean      []float64   `json:"mean"`
	Scale     []float64   `json:"scale"`
	Coef      [][]float64 `json:"coef"`
	Intercept []float64   `json:"intercept"`
	Proba     [][]float64 `json:"proba_test"`
	Pred      []int       `json:"pred_test"`
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

func TestLogisticMatchesScikitLearn(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "logistic_fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx map[string]json.RawMessage
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tall", "wide"} {
		t.Run(name, func(t *testing.T) {
			var c logisticCase
			if err := json.Unmarshal(fx[name], &c); err != nil {
				t.Fatal(err)
			}
			p, err := FitLogistic(dense(c.XTrain), c.YTrain, c.NClasses, c.C)
			if err != nil {
				t.Fatal(err)
			}
			near := func(what string, got, want, tol float64) {
				t.Helper()
				if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
					t.Errorf("%s = %.10g, scikit-learn %.10g", what, got, want)
				}
			}
			for j := range c.Mean {
				near("mean", p.Mean[j], c.Mean[j], 1e-12)
				near("scale", p.Scale[j], c.Scale[j], 1e-12)
			}
			for k := range c.Coef {
				for j := range c.Coef[k] {
					near("coef", p.W.At(k, j), c.Coef[k][j], 1e-5)
				}
				near("intercept", p.B[k], c.Intercept[k], 1e-5)
			}
			pr := p.Probabilities(dense(c.XTest))
			for i := range c.Proba {
				best := 0
				for k := range c.Proba[i] {
					near("probability", pr.At(i, k), c.Proba[i][k], 1e-6)
					if pr.At(i, k) > pr.At(i, best) {
						best = k
					}
				}
				if best != c.Pred[i] {
					t.Errorf("test row %d: predicted %d, scikit-learn %d", i, best, c.Pred[i])
				}
			}
			t.Logf("%d L-BFGS iterations", p.Iterations)
		})
	}
}

func TestFitLogisticRefuses(t *testing.T) {
	x := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	cases := []struct {
		name string
		y    []int
		k    int
		c    float64
	}{
		{"labels", []int{0, 1}, 2, 1},
		{"one class", []int{0, 0, 0}, 1, 1},
		{"label out of range", []int{0, 1, 2}, 2, 1},
		{"empty class", []int{0, 0, 1}, 3, 1},
		{"negative C", []int{0, 1, 1}, 2, -1},
	}
	for _, c := range cases {
		if _, err := FitLogistic(x, c.y, c.k, c.c); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
