package hub_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
)

func ExampleFileSHA256() {
	dir, _ := os.MkdirTemp("", "sha")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "abc.txt")
	os.WriteFile(p, []byte("abc"), 0o644)
	sum, _ := hub.FileSHA256(p)
	fmt.Println(sum) // FIPS 180-2 test vector
	// Output: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}

func ExampleResolve() {
	dir, _ := os.MkdirTemp("", "model")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "tiny.gguf")
	os.WriteFile(p, []byte("GGUF\x03\x00\x00\x00"), 0o644) // the magic and a version: enough to resolve
	r, err := hub.Resolve(p, hub.Options{Offline: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Kind, filepath.Base(r.Path), r.Source)
	// Output: GGUF file tiny.gguf local file
}
