package numeric_test

import (
	"fmt"
	"math"

	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/mat"
)

func ExampleCosineMatrix() {
	// Three 2-D "emotion vectors": b points the same way as a (twice as long), c is at right angles.
	v := mat.NewDense(3, 2, []float64{
		1, 1, // a
		2, 2, // b
		1, -1, // c
	})
	s, err := numeric.CosineMatrix(v)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.2f\n", mat.Formatted(s))
	// Output:
	// ⎡1.00  1.00  0.00⎤
	// ⎢1.00  1.00  0.00⎥
	// ⎣0.00  0.00  1.00⎦
}

func ExampleKMeans() {
	// Two obvious groups on a line.
	x := mat.NewDense(6, 1, []float64{0, 0.5, 1, 10, 10.5, 11})
	res, err := numeric.KMeans(x, numeric.KMeansOptions{K: 2, Seed: 42})
	if err != nil {
		panic(err)
	}
	fmt.Println("labels:", res.Labels)
	fmt.Println("sizes:", res.Sizes)
	fmt.Printf("centroids: %.1f %.1f\n", res.Centroids.At(0, 0), res.Centroids.At(1, 0))
	fmt.Printf("inertia: %.2f\n", res.Inertia)
	// Output:
	// labels: [0 0 0 1 1 1]
	// sizes: [3 3]
	// centroids: 0.5 10.5
	// inertia: 1.00
}

func ExampleOrientByValence() {
	// Scores on PC1 come out with an arbitrary sign; orienting puts the pleasant emotions at the positive end.
	names := []string{"happy", "calm", "sad", "afraid"}
	x := mat.NewDense(4, 2, []float64{
		-2, 0.1,
		-1, -0.2,
		2, 0.1,
		1.5, 0.3,
	})
	res, err := numeric.PCA(x, 2)
	if err != nil {
		panic(err)
	}
	o, err := numeric.OrientByValence(res, names, nil, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("flipped:", o.Flipped)
	fmt.Printf("pleasant mean %.2f > unpleasant mean %.2f\n", o.PositiveMean, o.NegativeMean)
	// Output:
	// flipped: true
	// pleasant mean 1.63 > unpleasant mean -1.63
}

func ExampleSpearman() {
	x := []float64{1, 2, 2, 3, 5}
	y := []float64{10, 20, 30, 30, 100}
	r, _ := numeric.Spearman(x, y)
	fmt.Printf("%.4f\n", r) // scipy.stats.spearmanr gives 0.9210526
	// Output:
	// 0.9211
}

func ExampleTrustworthiness() {
	// Points on a line embedded in order keep all their neighbours: trustworthiness 1.
	x := mat.NewDense(8, 1, []float64{0, 1, 2, 3, 4, 5, 6, 7})
	y := mat.NewDense(8, 1, []float64{0, 2, 4, 6, 8, 10, 12, 14})
	t, _ := numeric.Trustworthiness(x, y, 2, numeric.Euclidean)
	fmt.Println(t)
	// Output:
	// 1
}

func ExampleProjectOut() {
	// Step 4 of the method on toy data. Neutral text varies mostly along the first axis, so that axis is removed
	// from the emotion vectors.
	neutral := mat.NewDense(4, 3, []float64{
		-3, 0.1, 0,
		3, 0.1, 0,
		-2, -0.1, 0.1,
		2, -0.1, 0.1,
	})
	means := mat.NewDense(2, 3, []float64{
		5, 1, 0, // "happy"
		1, -1, 0, // "sad"
	})
	raw := numeric.EmotionVectors(means) // means minus their mean: [2 1 0], [-2 -1 0]
	C, explained, err := numeric.NeutralPCs(neutral, 0.5)
	if err != nil {
		panic(err)
	}
	k, _ := C.Dims()
	fmt.Printf("k=%d explaining %.3f\n", k, explained[0])
	v := numeric.ProjectOut(raw, C)
	for i := 0; i < 2; i++ {
		fmt.Println(roundRow(v.RawRowView(i)))
	}
	// Output:
	// k=1 explaining 0.998
	// [0 1 0]
	// [0 -1 0]
}

// roundRow rounds to 2 decimals and turns -0 into 0 for stable printing.
func roundRow(r []float64) []float64 {
	out := make([]float64, len(r))
	for i, v := range r {
		out[i] = math.Round(v*100)/100 + 0
	}
	return out
}
