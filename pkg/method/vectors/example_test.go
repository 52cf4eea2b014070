package vectors_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"gonum.org/v1/gonum/mat"
)

// Three emotions in a 2-D residual stream whose neutral text varies only along x: the raw vectors are the
// means minus their mean row; the denoised ones keep only y, the direction neutral text never uses.
func ExampleCompute() {
	means := mat.NewDense(3, 2, []float64{
		2, 1, // happy
		0, 3, // sad
		1, 2, // calm
	})
	neutral := mat.NewDense(4, 2, []float64{-3, 0, 3, 0, 1, 0, -1, 0})
	r, err := vectors.Compute(means, neutral, 0.5)
	if err != nil {
		panic(err)
	}
	fmt.Println("raw:     ", r.Raw.RawMatrix().Data)
	fmt.Println("removed: ", r.K(), "component, explaining", r.Explain)
	fmt.Println("denoised:", clean(r.Vectors.RawMatrix().Data))
	// Output:
	// raw:      [1 -1 -1 1 0 0]
	// removed:  1 component, explaining [1]
	// denoised: [0 -1 0 1 0 0]
}

// clean turns -0 into 0 for printing.
func clean(x []float64) []float64 {
	for i := range x {
		x[i] += 0
	}
	return x
}
