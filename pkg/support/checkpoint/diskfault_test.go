package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// faultFile is a temp file that fails like a full disk or a read-only file system: Write stores the first
// room bytes and then fails with err (a real full disk also writes what fits), and Sync or Close fail with
// err when asked.
type faultFile struct {
	*os.File
	room      int // bytes Write accepts before failing; <0: no limit
	err       error
	failSync  bool
	failClose bool
}

func (f *faultFile) Write(p []byte) (int, error) {
	if f.room < 0 || len(p) <= f.room {
		if f.room >= 0 {
			f.room -= len(p)
		}
		return f.File.Write(p)
	}
	n, _ := f.File.Write(p[:f.room])
	f.room = 0
	return n, &fs.PathError{Op: "write", Path: f.Name(), Err: f.err}
}

func (f *faultFile) Sync() error {
	if f.failSync {
		return &fs.PathError{Op: "sync", Path: f.Name(), Err: f.err}
	}
	return f.File.Sync()
}

func (f *faultFile) Close() error {
	err := f.File.Close()
	if f.failClose && err == nil {
		return &fs.PathError{Op: "close", Path: f.Name(), Err: f.err}
	}
	return err
}

// injectFault makes the temp files created from now on (until the test ends) fail as configured by set,
// once the first `after` WriteFileAtomic calls have succeeded. Calling the returned function ends the fault
// sooner, as freeing space would.
func injectFault(t *testing.T, after int, set func(*faultFile)) (end func()) {
	t.Helper()
	orig := createTemp
	end = func() { createTemp = orig }
	t.Cleanup(end)
	calls := 0
	createTemp = func(dir, pattern string) (tempFile, error) {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		calls++
		ff := &faultFile{File: f, room: -1}
		if calls > after {
			set(ff)
		}
		return ff, nil
	}
	return end
}

// noTemps fails the test if dir (recursively) holds a WriteFileAtomic temp file.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && isTemp(d.Name()) {
			t.Errorf("temp file %s left behind", p)
		}
		return nil
	})
}

func TestWriteFileAtomicDiskFull(t *testing.T) {
	const hint = "the disk is full: free space and rerun; finished units are kept"
	for _, tc := range []struct {
		name string
		set  func(*faultFile)
		step string
	}{
		{"write", func(f *faultFile) { f.room = 100; f.err = syscall.ENOSPC }, "no space left on device"},
		{"write-nothing", func(f *faultFile) { f.room = 0; f.err = syscall.ENOSPC }, "no space left on device"},
		{"fsync", func(f *faultFile) { f.failSync = true; f.err = syscall.ENOSPC }, "fsync: sync"},
		{"close", func(f *faultFile) { f.failClose = true; f.err = syscall.ENOSPC }, "close temp file: close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "unit.bin")
			old := bytes.Repeat([]byte{1}, 1000)
			if err := WriteFileAtomic(path, old); err != nil {
				t.Fatal(err)
			}
			injectFault(t, 0, tc.set)
			err := WriteFileAtomic(path, bytes.Repeat([]byte{2}, 4096))
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("err = %v, want one wrapping ENOSPC", err)
			}
			msg := err.Error()
			for _, want := range []string{"checkpoint: write " + path + ": ", tc.step, hint} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q\nlacks %q", msg, want)
				}
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
				t.Errorf("%s changed (%d bytes): the old content must survive a failed write", path, len(got))
			}
			noTemps(t, dir)
		})
	}
}

func TestWriteFileAtomicNotWritable(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EROFS} {
		t.Run(errno.Error(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sub", "unit.json")
			orig := createTemp
			t.Cleanup(func() { createTemp = orig })
			// A read-only folder refuses the temp file itself.
			createTemp = func(d, pattern string) (tempFile, error) {
				return nil, &fs.PathError{Op: "open", Path: filepath.Join(d, pattern), Err: errno}
			}
			err := WriteFileAtomic(path, []byte("{}\n"))
			if !errors.Is(err, errno) {
				t.Fatalf("err = %v, want one wrapping %v", err, errno)
			}
			msg := err.Error()
			for _, want := range []string{
				"checkpoint: write " + path + ": create temp file: ",
				"the folder " + filepath.Join(dir, "sub") + " is not writable",
				"check its permissions, or set output.dir to a writable folder, and rerun; finished units are kept",
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q\nlacks %q", msg, want)
				}
			}
			if Exists(path) {
				t.Errorf("%s exists after a failed write", path)
			}
		})
	}
}

func TestOpenStageNotWritable(t *testing.T) {
	out := t.TempDir()
	orig := mkdirAll
	t.Cleanup(func() { mkdirAll = orig })
	mkdirAll = func(p string, _ fs.FileMode) error {
		return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.EROFS}
	}
	_, err := OpenStage(out, "vectors", Fingerprint{"layer": "12"}, false)
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("err = %v, want one wrapping EROFS", err)
	}
	for _, want := range []string{
		`checkpoint: stage "vectors": create ` + filepath.Join(out, "vectors"),
		"the folder " + out + " is not writable",
		"set output.dir to a writable folder",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q\nlacks %q", err.Error(), want)
		}
	}
}

// runUnits is a small stage: it writes n units (JSON and safetensors alternately) that are not done yet,
// then marks the stage complete, as the real stages do. It returns the units it wrote.
func runUnits(out string, n int) ([]string, error) {
	st, err := OpenStage(out, "units", Fingerprint{"model_sha256": "abc"}, false)
	if err != nil {
		return nil, err
	}
	var wrote []string
	for i := range n {
		u := fmt.Sprintf("u%02d.json", i)
		data := []byte(fmt.Sprintf("{\"unit\": %d}\n", i))
		if i%2 == 1 {
			u = fmt.Sprintf("u%02d.safetensors", i)
			data = tinySafetensors(float32(i))
		}
		if st.Done(u) {
			continue
		}
		if err := st.WriteFile(u, data); err != nil {
			return wrote, err
		}
		wrote = append(wrote, u)
	}
	return wrote, st.MarkComplete(map[string]int{"units": n})
}

// tinySafetensors is a safetensors file holding one F32 scalar v, framed as the safetensors writer does.
func tinySafetensors(v float32) []byte {
	hdr := []byte(`{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`)
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(b, hdr...)
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

// readTree maps each file below dir (slash paths) to its content, leaving out complete.json and
// manifest.json, whose timestamps differ between runs.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == CompleteFile || d.Name() == ManifestFile {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStageDiskFullMidRunResumes(t *testing.T) {
	const n, k = 6, 3 // the disk fills while writing unit k
	clean := t.TempDir()
	if _, err := runUnits(clean, n); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, filepath.Join(clean, "units"))

	out := t.TempDir()
	// OpenStage's manifest is the first write, so unit k is write k+1.
	freeSpace := injectFault(t, 1+k, func(f *faultFile) { f.room = 10; f.err = syscall.ENOSPC })
	wrote, err := runUnits(out, n)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "the disk is full: free space and rerun") ||
		!strings.Contains(err.Error(), fmt.Sprintf("u%02d.safetensors", k)) {
		t.Fatalf("err = %v, want the disk-full error naming unit %d", err, k)
	}
	if len(wrote) != k {
		t.Fatalf("wrote %v before the fault, want %d units", wrote, k)
	}
	t.Logf("the error: %v", err)
	freeSpace()
	st, err := OpenStage(out, "units", Fingerprint{"model_sha256": "abc"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Complete() || Exists(st.Path(CompleteFile)) {
		t.Error("complete.json exists after a failed run")
	}
	got := readTree(t, st.Dir())
	if len(got) != k {
		t.Errorf("after the fault the stage holds %d files, want the %d units written before it", len(got), k)
	}
	for u, data := range got {
		if want[u] != data {
			t.Errorf("unit %s differs from the uninterrupted run's", u)
		}
		if !st.Done(u) {
			t.Errorf("unit %s written before the fault is not done", u)
		}
	}
	noTemps(t, out)

	// The fault is gone: the rerun writes only the missing units and ends byte-identical to a clean run.
	wrote, err = runUnits(out, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(wrote) != n-k || wrote[0] != fmt.Sprintf("u%02d.safetensors", k) {
		t.Errorf("rerun wrote %v, want units %d..%d only", wrote, k, n-1)
	}
	if got := readTree(t, st.Dir()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the rerun the stage differs from an uninterrupted run:\n got %q\nwant %q", got, want)
	}
	if !st.Complete() {
		t.Error("the rerun did not mark the stage complete")
	}
}

func TestDamagedUnitsAreRecomputed(t *testing.T) {
	out := t.TempDir()
	if _, err := runUnits(out, 6); err != nil {
		t.Fatal(err)
	}
	st, err := OpenStage(out, "units", Fingerprint{"model_sha256": "abc"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := readTree(t, st.Dir())
	// u01.safetensors cut short by one byte (a copy cut off), u03.safetensors replaced by garbage of the
	// same length, u02.json truncated mid-object.
	cut := want["u01.safetensors"]
	if err := os.WriteFile(st.Path("u01.safetensors"), []byte(cut[:len(cut)-1]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(st.Path("u03.safetensors"), bytes.Repeat([]byte{0xff}, len(want["u03.safetensors"])), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(st.Path("u02.json"), []byte(`{"unit": `), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u01.safetensors", "u02.json", "u03.safetensors"} {
		if st.Done(u) {
			t.Errorf("damaged unit %s counts as done", u)
		}
		var ce *CorruptError
		if err := st.Verify(u); !errors.As(err, &ce) || ce.Path != st.Path(u) {
			t.Errorf("Verify(%s) = %v, want a *CorruptError naming the file", u, err)
		}
	}
	if err := st.Verify("u99.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Verify of a missing unit = %v, want fs.ErrNotExist", err)
	}
	for _, u := range []string{"u00.json", "u04.json", "u05.safetensors"} {
		if err := st.Verify(u); err != nil {
			t.Errorf("Verify(%s) of an intact unit: %v", u, err)
		}
	}
	wrote, err := runUnits(out, 6)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(wrote) != "[u01.safetensors u02.json u03.safetensors]" {
		t.Errorf("rerun recomputed %v, want exactly the damaged units", wrote)
	}
	if got := readTree(t, st.Dir()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Error("after the rerun the units differ from the first run's")
	}
}

func TestCheckSafetensorsRejects(t *testing.T) {
	good := tinySafetensors(1)
	for name, data := range map[string][]byte{
		"empty":             nil,
		"short":             good[:5],
		"huge length":       append(binary.LittleEndian.AppendUint64(nil, 1<<40), good[8:]...),
		"header not JSON":   append(binary.LittleEndian.AppendUint64(nil, 8), "xxxxxxxx\x00\x00\x00\x00"...),
		"header not object": append(binary.LittleEndian.AppendUint64(nil, 8), "[]      \x00\x00\x00\x00"...),
		"extra data":        append(append([]byte(nil), good...), 0),
	} {
		p := filepath.Join(t.TempDir(), "x.safetensors")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := checkSafetensors(p, int64(len(data))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
