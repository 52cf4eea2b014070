package checkpoint

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// The atomicity test re-executes the test binary as a writer that overwrites one file in a loop, kills it
// with SIGKILL at a random moment, and checks that the file is intact. helperEnv tells the child what to do.
const helperEnv = "CHECKPOINT_TEST_WRITER"

// payload is version v of the file: size bytes all equal to byte v, so a mix of two versions or a short
// file is detectable.
func payload(v, size int) []byte { return bytes.Repeat([]byte{byte(v)}, size) }

const payloadSize = 1 << 20 // 1 MiB: large enough that a kill often lands mid-write

func TestHelperWriter(t *testing.T) {
	target := os.Getenv(helperEnv)
	if target == "" {
		testkit.Skip(t, "only runs as the child of TestWriteFileAtomicSurvivesSIGKILL")
	}
	v, _ := strconv.Atoi(os.Getenv(helperEnv + "_FIRST"))
	fmt.Println("ready")
	for ; ; v = v%250 + 1 {
		if err := WriteFileAtomic(target, payload(v, payloadSize)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

func TestWriteFileAtomicSurvivesSIGKILL(t *testing.T) {
	testkit.SkipShort(t, "spawns processes")
	dir := t.TempDir()
	target := filepath.Join(dir, "sub", "unit.bin")
	if err := WriteFileAtomic(target, payload(0, payloadSize)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const rounds = 15
	changed, leftovers := 0, 0 // rounds in which the child replaced the file; temp files seen
	prev := byte(0)
	for i := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		// Each child starts at another version, so that a completed write always changes the file.
		cmd.Env = append(os.Environ(), helperEnv+"="+target, fmt.Sprintf("%s_FIRST=%d", helperEnv, 1+16*i))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "ready" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: writer did not start: %q", i, line)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix: no cleanup runs in the child
			t.Fatal(err)
		}
		_ = cmd.Wait()

		data, err := os.ReadFile(target)
		if err != nil {
			t.Fatalf("round %d: the target vanished: %v", i, err)
		}
		if len(data) != payloadSize || !bytes.Equal(data, payload(int(data[0]), payloadSize)) {
			t.Fatalf("round %d: the target is partial or mixed: %d bytes, first byte %d", i, len(data), data[0])
		}
		if data[0] != prev {
			changed++
		}
		prev = data[0]
	}
	// Leftover temp files are allowed (a kill skips cleanup) but must be recognisable as such.
	entries, _ := os.ReadDir(filepath.Dir(target))
	for _, e := range entries {
		switch {
		case isTemp(e.Name()):
			leftovers++
		case e.Name() != "unit.bin":
			t.Errorf("unexpected file %q beside the target", e.Name())
		}
	}
	// Without writes that completed, and kills that landed mid-write, the test would prove nothing.
	t.Logf("%d/%d rounds replaced the file; %d kills left a temp file", changed, rounds, leftovers)
	if changed == 0 {
		t.Error("the writer never completed a write before being killed: the test checked nothing")
	}
}

func TestWriteFileAtomicReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "x.txt")
	for _, content := range []string{"first", "second, longer", "3"} {
		if err := WriteFileAtomic(p, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only x.txt (no temp files after success)", len(entries))
	}
	fi, _ := os.Stat(p)
	if perm := fi.Mode().Perm(); perm != 0o644 {
		t.Errorf("mode %v, want 0644", perm)
	}
}

func TestWriteFileAtomicError(t *testing.T) {
	dir := t.TempDir()
	// The parent "folder" is a file: MkdirAll fails and the error names the target.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(blocker, "unit.json")
	err := WriteFileAtomic(target, []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), target) {
		t.Fatalf("err = %v, want an error naming %s", err, target)
	}
}

func TestReadJSON(t *testing.T) {
	dir := t.TempDir()
	type rec struct {
		Emotion string    `json:"emotion"`
		Values  []float64 `json:"values"`
	}
	good := filepath.Join(dir, "good.json")
	want := rec{Emotion: "afraid", Values: []float64{1, 2.5, -3}}
	if err := WriteJSON(good, want); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	if !strings.HasPrefix(string(raw), "{\n  \"emotion\"") || !strings.HasSuffix(string(raw), "}\n") {
		t.Errorf("WriteJSON is not indented with a final newline:\n%s", raw)
	}
	var got rec
	if err := ReadJSON(good, &got); err != nil || got.Emotion != want.Emotion || len(got.Values) != 3 || got.Values[1] != 2.5 {
		t.Fatalf("ReadJSON = %+v, %v; want %+v", got, err, want)
	}

	tests := []struct {
		name    string
		content string // "" with missing = true: no file
		missing bool
	}{
		{name: "missing", missing: true},
		{name: "truncated", content: string(raw[:len(raw)/2])},
		{name: "empty", content: ""},
		{name: "blank", content: " \n"},
		{name: "garbage", content: "\x00\x00\x00"},
		{name: "trailing", content: `{"emotion":"x"} {}`},
		{name: "wrong shape", content: `{"values":"not a list"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			if !tc.missing {
				if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var v rec
			err := ReadJSON(p, &v)
			if tc.missing {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("err = %v, want one wrapping fs.ErrNotExist", err)
				}
				if Exists(p) {
					t.Error("Exists = true for a missing file")
				}
				return
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != p {
				t.Fatalf("err = %#v, want *CorruptError for %s", err, p)
			}
			msg := err.Error()
			for _, want := range []string{"checkpoint " + p + " is truncated or corrupt (", "): delete it and rerun (it will be recomputed), or rerun with --force"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if errors.Is(err, fs.ErrNotExist) {
				t.Error("a corrupt file must not read as missing")
			}
		})
	}
}

func TestConcurrentWritersInOneFolder(t *testing.T) {
	st, err := OpenStage(t.TempDir(), "stories", Fingerprint{"model": "m"}, false)
	if err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				unit := fmt.Sprintf("stories/shared/w%d-%d.json", w, i)
				if err := st.WriteJSON(unit, map[string]int{"w": w, "i": i}); err != nil {
					errs <- err
				}
				// All workers also race on one common file: the last rename wins, never a mix.
				if err := st.WriteJSON("stories/shared/common.json", map[string]string{"by": strconv.Itoa(w) + strings.Repeat("x", 1000*w)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		for i := range perWorker {
			unit := fmt.Sprintf("stories/shared/w%d-%d.json", w, i)
			var got map[string]int
			if !st.Done(unit) {
				t.Fatalf("%s not done", unit)
			}
			if err := st.ReadJSON(unit, &got); err != nil || got["w"] != w || got["i"] != i {
				t.Fatalf("%s = %v, %v", unit, got, err)
			}
		}
	}
	var common map[string]string
	if err := st.ReadJSON("stories/shared/common.json", &common); err != nil {
		t.Fatal(err)
	}
	w, _ := strconv.Atoi(common["by"][:1])
	if common["by"] != strconv.Itoa(w)+strings.Repeat("x", 1000*w) {
		t.Errorf("common.json mixes writers: %q...", common["by"][:10])
	}
	entries, _ := os.ReadDir(st.Path("stories", "shared"))
	if len(entries) != workers*perWorker+1 {
		t.Errorf("%d files, want %d (no temp files left)", len(entries), workers*perWorker+1)
	}
}
