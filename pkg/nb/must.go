package nb

import "fmt"

// Must panics if err is not nil. In a notebook the panic is the cell's error: GoNB shows it under the
// cell and the headless runner stops there, naming the notebook and the cell.
func Must(err error) {
	if err != nil {
		panic(fmt.Sprintf("cell failed: %v", err))
	}
}

// Must1 returns v, or panics as Must does if err is not nil:
//
//	units := nb.Must1(stories.Load(cfg.OutputDir()))
func Must1[T any](v T, err error) T {
	Must(err)
	return v
}

// Must2 returns a and b, or panics as Must does if err is not nil.
func Must2[A, B any](a A, b B, err error) (A, B) {
	Must(err)
	return a, b
}
