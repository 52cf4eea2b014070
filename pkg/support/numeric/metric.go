package numeric

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Metric names a distance between rows of a matrix.
type Metric int

const (
	// Euclidean is the straight-line distance ||x - y||.
	Euclidean Metric = iota
	// Cosine is the cosine distance 1 - x·y / (||x|| ||y||), in [0, 2]. It ignores vector length, which suits
	// emotion vectors whose norms vary with how strongly a concept is represented. As in scikit-learn, a zero
	// row is treated as having cosine 0 with everything (distance 1).
	Cosine
)

// String returns the metric's name as scikit-learn and umap-learn spell it.
func (m Metric) String() string {
	switch m {
	case Euclidean:
		return "euclidean"
	case Cosine:
		return "cosine"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// ParseMetric reads "euclidean" or "cosine" (case-insensitive).
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "euclidean":
		return Euclidean, nil
	case "cosine":
		return Cosine, nil
	}
	return 0, fmt.Errorf("analysis: unknown metric %q: use \"euclidean\" or \"cosine\"", s)
}

func (m Metric) valid() error {
	if m != Euclidean && m != Cosine {
		return fmt.Errorf("analysis: unknown metric %v: use Euclidean or Cosine", m)
	}
	return nil
}

// pairwiseDistances returns the [n, n] matrix of distances between the rows of x (row-major, one slice per
// row). The diagonal is exactly 0, as in sklearn.metrics.pairwise_distances.
func pairwiseDistances(x *mat.Dense, m Metric) [][]float64 {
	n, d := x.Dims()
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, n)
	}
	switch m {
	case Euclidean:
		for i := 0; i < n; i++ {
			xi := x.RawRowView(i)
			for j := i + 1; j < n; j++ {
				xj := x.RawRowView(j)
				s := 0.0
				for c := 0; c < d; c++ {
					t := xi[c] - xj[c]
					s += t * t
				}
				s = math.Sqrt(s)
				out[i][j], out[j][i] = s, s
			}
		}
	case Cosine:
		u := normalizedRows(x)
		for i := 0; i < n; i++ {
			ui := u.RawRowView(i)
			for j := i + 1; j < n; j++ {
				s := 1 - dot(ui, u.RawRowView(j))
				s = math.Min(math.Max(s, 0), 2)
				out[i][j], out[j][i] = s, s
			}
		}
	default:
		panic(fmt.Sprintf("analysis: unknown metric %v", m))
	}
	return out
}

// normalizedRows returns a copy of x with each row scaled to unit length; zero rows stay zero.
func normalizedRows(x *mat.Dense) *mat.Dense {
	u := mat.DenseCopyOf(x)
	n, _ := u.Dims()
	for i := 0; i < n; i++ {
		r := u.RawRowView(i)
		nr := math.Sqrt(dot(r, r))
		if nr > 0 {
			for c := range r {
				r[c] /= nr
			}
		}
	}
	return u
}

// zeroRow returns the index of the first row of x whose norm is 0, or -1.
func zeroRow(x *mat.Dense) int {
	n, _ := x.Dims()
	for i := 0; i < n; i++ {
		r := x.RawRowView(i)
		if dot(r, r) == 0 {
			return i
		}
	}
	return -1
}

// dot is the inner product of equal-length slices (gonum's assembly kernel).
func dot(a, b []float64) float64 { return floats.Dot(a, b) }

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		t := v - b[i]
		s += t * t
	}
	return s
}
