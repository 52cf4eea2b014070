package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
)

// `emotion-probes export` on the reference run of the tiny model (2 blocks; vectors at layers 1 and 2, the
// default layer 1). The run is only read. Layer 1 is direction.0: repeng takes it, llama.cpp refuses it;
// layer 2 is direction.1 and holds, bit for bit, what `steer --alpha 0.5` adds there.
func TestExportTiny(t *testing.T) {
	ref := referenceRun(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, ref)

	p := start(t, "export", "--config", cfg, "--format", "llama.cpp", "--emotion", "sad", "--out", filepath.Join(dir, "no.gguf"))
	if err := p.wait(); err == nil || !strings.Contains(p.out.String(), "llama.cpp refuses") || !strings.Contains(p.out.String(), "--format repeng") {
		t.Errorf("llama.cpp at the default layer 1: %v\n%s", err, p.out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "no.gguf")); err == nil {
		t.Error("a refused export left a file")
	}

	rp := filepath.Join(dir, "sad_repeng.gguf")
	mustRun(t, "export", "--config", cfg, "--format", "repeng", "--emotion", "sad", "--out", rp)
	f, err := gguf.Open(rp)
	if err != nil {
		t.Fatal(err)
	}
	hint, _ := f.String("controlvector.model_hint")
	_, has0 := f.Tensor("direction.0")
	f.Close()
	if hint != "llama" || !has0 {
		t.Errorf("repeng file: model_hint %q (want the tiny model's model_type llama), direction.0 present %v", hint, has0)
	}

	lp := filepath.Join(dir, "sad_l2.gguf")
	out := mustRun(t, "export", "--config", cfg, "--format", "llama.cpp", "--emotion", "sad", "--layers", "2", "--alpha", "0.5", "--out", lp).out.String()
	if !strings.Contains(out, "direction.1") || !strings.Contains(out, "--control-vector-scaled "+lp+":S") {
		t.Errorf("output lacks the tensor and the llama.cpp usage:\n%s", out)
	}
	f, err = gguf.Open(lp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := f.ReadFloat32("direction.1")
	if err != nil {
		t.Fatal(err)
	}
	set, err := vectors.Load(vectors.LayerPath(ref, 2, false))
	if err != nil {
		t.Fatal(err)
	}
	norm, err := probe.MeanStoryNorm(ref, 2, set.Emotions)
	if err != nil {
		t.Fatal(err)
	}
	st, err := probe.Steer(set, "sad", 0.5, norm, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, st.Vector) {
		t.Errorf("direction.1 = %v\nsteer --alpha 0.5 at layer 2 adds %v", got, st.Vector)
	}

	np := filepath.Join(dir, "all.npz")
	mustRun(t, "export", "--config", cfg, "--format", "npz", "--layers", "1,2", "--out", np)
	zr, err := zip.OpenReader(np)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, m := range zr.File {
		names = append(names, m.Name)
	}
	want := []string{"vectors.npy", "emotions.npy", "layers.npy", "residual_norm.npy", "story_mean.npy", "metadata.npy"}
	if !slices.Equal(names, want) {
		t.Errorf("npz members %v, want %v", names, want)
	}
}
