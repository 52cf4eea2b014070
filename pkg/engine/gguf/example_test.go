package gguf_test

import (
	"fmt"
	"log"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
)

func Example() {
	f, err := gguf.Open("testdata/synthetic.gguf")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	fmt.Println("architecture:", f.Architecture())
	bos, _ := f.Uint("tokenizer.ggml.bos_token_id")
	fmt.Println("bos id:", bos)

	ti, _ := f.Tensor("t.q4_1")
	fmt.Printf("%s: %s, shape %v, %d bytes\n", ti.Name, ti.Type, ti.Shape, ti.Size)

	w, shape, err := f.ReadFloat32("t.f32_3d")
	if err != nil {
		log.Fatal(err)
	}
	// Row-major: element [i, j, k] is at (i*3+j)*4+k.
	fmt.Println(shape, len(w))
	// Output:
	// architecture: testarch
	// bos id: 1
	// t.q4_1: Q4_1, shape [3 64], 120 bytes
	// [2 3 4] 24
}
