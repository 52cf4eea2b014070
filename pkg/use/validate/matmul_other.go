//go:build !(amd64 && goexperiment.simd)

package validate

const haveFMA = false

func clearUpperBits() {}

func mulFMA(c, a, b []float64, m, q, p int) {
	panic("validate: mulFMA needs amd64 and GOEXPERIMENT=simd")
}
