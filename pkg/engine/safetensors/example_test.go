package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
)

func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "vectors.safetensors")

	// Two emotion vectors of dimension 3, stored as float32, with the layer they came from.
	err = safetensors.Write(path, []safetensors.Tensor{
		{Name: "vectors", Shape: []int{2, 3}, Data: []float32{1, 0, 0.5, -1, 2, 0.25}},
		{Name: "counts", Shape: []int{2}, Data: []int64{12, 9}},
	}, map[string]string{"layer": "20"})
	if err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fmt.Println(f.Names(), f.Metadata()["layer"])
	v, shape, err := f.ReadFloat32("vectors")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shape, v[3:]) // row 1
	dtype, _ := f.Info("counts")
	fmt.Println(dtype)
	// Output:
	// [counts vectors] 20
	// [2 3] [-1 2 0.25]
	// I64
}

func ExampleMetaJSON() {
	var none []int
	fmt.Println(safetensors.MetaJSON(none), safetensors.MetaJSON([]int{3, 1}), safetensors.MetaJSON([]string{"calm"}))
	// Output: [] [3,1] ["calm"]
}
