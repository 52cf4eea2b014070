package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFingerprintHash(t *testing.T) {
	// Golden values: printf '{"layer":"12","model_sha256":"abc"}' | sha256sum (GNU coreutils 9), and
	// printf '{}' | sha256sum.
	a := Fingerprint{"model_sha256": "abc", "layer": "12"}
	b := Fingerprint{}
	b["layer"] = "12"
	b["model_sha256"] = "abc"
	const want = "a57256e22c6989ec6980c40dff98ae706ea9ca271490fb41dc9797b7c45b5005"
	if a.Hash() != want || b.Hash() != want {
		t.Errorf("Hash = %s, %s; want %s", a.Hash(), b.Hash(), want)
	}
	const empty = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	if got := Fingerprint(nil).Hash(); got != empty {
		t.Errorf("nil Hash = %s, want %s", got, empty)
	}
	if (Fingerprint{"layer": "13", "model_sha256": "abc"}).Hash() == want {
		t.Error("a different value gives the same hash")
	}
}

func TestOpenStageResumeMismatchForce(t *testing.T) {
	out := t.TempDir()
	fp := Fingerprint{"model_sha256": "aaa", "layer": "12", "prompt": "v1"}

	st, err := OpenStage(out, "stories", fp, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dir() != filepath.Join(out, "stories") || st.Path("a", "b.json") != filepath.Join(out, "stories", "a", "b.json") {
		t.Errorf("Dir/Path = %s, %s", st.Dir(), st.Path("a", "b.json"))
	}
	var m Manifest
	if err := ReadJSON(filepath.Join(out, "stories", ManifestFile), &m); err != nil {
		t.Fatal(err)
	}
	if m.Stage != "stories" || m.Fingerprint["layer"] != "12" || m.Created.IsZero() || m.Tool == "" {
		t.Errorf("manifest = %+v", m)
	}
	unit := "stories/afraid/1a2b3c.json"
	if st.Done(unit) {
		t.Fatal("Done before writing")
	}
	if err := st.WriteJSON(unit, map[string]string{"text": "..."}); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteFile("raw/acts.bin", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if st.Complete() {
		t.Fatal("Complete before MarkComplete")
	}
	if err := Require(out, "stories", "stories"); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Require before MarkComplete = %v, want ErrIncomplete", err)
	}
	if err := st.MarkComplete(map[string]int{"stories": 1}); err != nil {
		t.Fatal(err)
	}

	// Another stage in the same output folder, to check that force leaves it alone.
	other, err := OpenStage(out, "vectors", Fingerprint{"x": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.WriteJSON("v.json", []float64{1}); err != nil {
		t.Fatal(err)
	}

	// Resume: same fingerprint (in another map) -> the units and completion are still there.
	st2, err := OpenStage(out, "stories", Fingerprint{"prompt": "v1", "layer": "12", "model_sha256": "aaa"}, false)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if !st2.Done(unit) || !st2.Done("raw/acts.bin") || !st2.Complete() {
		t.Errorf("resume lost work: Done=%v,%v Complete=%v", st2.Done(unit), st2.Done("raw/acts.bin"), st2.Complete())
	}
	if !st2.Manifest().Created.Equal(m.Created) {
		t.Error("resume rewrote the manifest")
	}
	var sum map[string]int
	if err := st2.Summary(&sum); err != nil || sum["stories"] != 1 {
		t.Errorf("Summary = %v, %v", sum, err)
	}
	if err := Require(out, "stories", "stories"); err != nil {
		t.Errorf("Require after MarkComplete: %v", err)
	}

	// Mismatch: one value changed, one key added, one removed.
	changed := Fingerprint{"model_sha256": "bbb", "layer": "12", "seed": "42"}
	_, err = OpenStage(out, "stories", changed, false)
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want *MismatchError", err)
	}
	if len(me.Diffs) != 3 || me.Diffs[0].Key != "model_sha256" || me.Diffs[1].Key != "prompt" || me.Diffs[2].Key != "seed" {
		t.Errorf("Diffs = %+v", me.Diffs)
	}
	msg := err.Error()
	for _, want := range []string{
		`model_sha256: was "aaa", now "bbb"`,
		`prompt: was "v1", now (unset)`,
		`seed: was (unset), now "42"`,
		"the outputs in " + filepath.Join(out, "stories") + " were made with different settings",
		"rerun with --force to discard them and start over, or set output.dir to another folder",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q\nlacks %q", msg, want)
		}
	}
	if !st2.Done(unit) {
		t.Error("a refused open must not touch the outputs")
	}

	// Force: the stage starts over under the new fingerprint; the other stage is untouched.
	st3, err := OpenStage(out, "stories", changed, true)
	if err != nil {
		t.Fatal(err)
	}
	if st3.Done(unit) || st3.Done("raw/acts.bin") || st3.Complete() || Exists(st3.Path("stories")) {
		t.Error("force kept old outputs")
	}
	if got, _ := ReadManifest(out, "stories"); got.Fingerprint.Hash() != changed.Hash() {
		t.Errorf("manifest after force = %v", got.Fingerprint)
	}
	if err := Require(out, "stories", "stories"); !errors.Is(err, ErrIncomplete) {
		t.Errorf("Require after force = %v, want ErrIncomplete", err)
	}
	if !other.Done("v.json") {
		t.Error("force on stories removed another stage's outputs")
	}
	if _, err := OpenStage(out, "stories", changed, false); err != nil {
		t.Errorf("reopen after force: %v", err)
	}
}

func TestOpenStageRefuses(t *testing.T) {
	out := t.TempDir()
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`} {
		if _, err := OpenStage(out, bad, nil, false); err == nil {
			t.Errorf("stage name %q accepted", bad)
		}
	}

	// Outputs without a manifest: unknown origin.
	if err := WriteFileAtomic(filepath.Join(out, "acts", "x.bin"), []byte{1}); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStage(out, "acts", Fingerprint{"a": "1"}, false)
	if err == nil || !strings.Contains(err.Error(), "no manifest.json") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("err = %v, want a refusal naming the missing manifest", err)
	}
	if _, err := OpenStage(out, "acts", Fingerprint{"a": "1"}, true); err != nil {
		t.Errorf("force: %v", err)
	}

	// A leftover temp file alone does not count as an output.
	if err := os.MkdirAll(filepath.Join(out, "fresh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "fresh", ".manifest.json.tmp-123"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStage(out, "fresh", nil, false); err != nil {
		t.Errorf("temp leftover refused: %v", err)
	}

	// A damaged manifest: *CorruptError.
	if err := os.WriteFile(filepath.Join(out, "acts", ManifestFile), []byte(`{"stage": "ac`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenStage(out, "acts", Fingerprint{"a": "1"}, false)
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Errorf("err = %v, want *CorruptError", err)
	}
}

func TestDone(t *testing.T) {
	st, err := OpenStage(t.TempDir(), "s", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	write := func(unit, content string) {
		t.Helper()
		p := st.Path(filepath.FromSlash(unit))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ok.json", `{"a": 1}`)
	write("cut.json", `{"a": `)
	write("empty.json", ``)
	write("d/data.bin", "")
	if err := os.MkdirAll(st.Path("folder.bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		unit string
		want bool
	}{
		{"ok.json", true},
		{"cut.json", false},
		{"empty.json", false},
		{"d/data.bin", true}, // other units (.bin): existence is enough; .safetensors units get a header check, writes being atomic
		{"folder.bin", false},
		{"missing.json", false},
	}
	for _, tc := range tests {
		if got := st.Done(tc.unit); got != tc.want {
			t.Errorf("Done(%q) = %v, want %v", tc.unit, got, tc.want)
		}
	}
}

func TestRequire(t *testing.T) {
	out := t.TempDir()
	err := Require(out, "activations", "extract")
	want := "stage activations has not been run (or is incomplete) in " + out + ": run `emotion-probes extract` first"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Require = %v, want %q", err, want)
	}
	st, err := OpenStage(out, "activations", Fingerprint{"l": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkComplete(nil); err != nil {
		t.Fatal(err)
	}
	if err := Require(out, "activations", "extract"); err != nil {
		t.Fatal(err)
	}
	// Corrupt complete.json: the CorruptError, which says what to do, not "has not been run".
	if err := os.WriteFile(st.Path(CompleteFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if err := Require(out, "activations", "extract"); !errors.As(err, &ce) {
		t.Errorf("Require = %v, want *CorruptError", err)
	}
}

// Workers of one sharded run open the same stage at the same moment, and each writes units as soon as it
// has opened it. None may take another's fresh manifest or units for outputs of unknown origin.
func TestOpenStageConcurrentWorkers(t *testing.T) {
	fp := Fingerprint{"model": "m"}
	for round := range 300 {
		out := t.TempDir()
		errs := make(chan error, 4)
		for w := range 4 {
			go func() {
				st, err := OpenStage(out, "stories", fp, false)
				if err == nil {
					err = WriteJSON(st.Path(fmt.Sprintf("unit-%d.json", w)), w)
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
