package safetensors

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
)

// faultFile is a temp file that fails like a full disk or a read-only file system: Write stores the first
// room bytes and then fails with err, and Sync or Close fail with err when asked.
type faultFile struct {
	*os.File
	room                int // bytes Write accepts before failing; <0: no limit
	err                 error
	failSync, failClose bool
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

// A disk that fills (or a folder that turns read-only) while Write writes its own temp file gives an error
// that names the file and wraps the system's error, which checkpoint.DiskHint turns into advice (the
// activations stage adds it); the file keeps its old content, or stays absent, and no temp file is left
// for a stage to mistake for a unit.
func TestWriteDiskFault(t *testing.T) {
	big := []Tensor{{Name: "w", Shape: []int{1 << 19}, Data: make([]float32, 1<<19)}} // 2 MiB: Write writes before its last Flush
	for _, c := range []struct {
		name   string
		errno  syscall.Errno
		set    func(*faultFile) // nil: the temp file cannot be created
		before bool             // the file exists before the failed write
	}{
		{"full at write", syscall.ENOSPC, func(f *faultFile) { f.room = 100 }, true},
		{"full at write, new file", syscall.ENOSPC, func(f *faultFile) { f.room = 0 }, false},
		{"full at fsync", syscall.ENOSPC, func(f *faultFile) { f.failSync = true }, true},
		{"full at close", syscall.ENOSPC, func(f *faultFile) { f.failClose = true }, false},
		{"read-only folder", syscall.EROFS, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "unit.safetensors")
			old := []Tensor{{Name: "old", Shape: []int{2}, Data: []float32{1, 2}}}
			if c.before {
				if err := Write(path, old, nil); err != nil {
					t.Fatal(err)
				}
			}
			orig := createTemp
			t.Cleanup(func() { createTemp = orig })
			createTemp = func(d, pattern string) (tempFile, error) {
				if c.set == nil {
					return nil, &fs.PathError{Op: "open", Path: filepath.Join(d, pattern), Err: c.errno}
				}
				f, err := os.CreateTemp(d, pattern)
				if err != nil {
					return nil, err
				}
				ff := &faultFile{File: f, room: -1, err: c.errno}
				c.set(ff)
				return ff, nil
			}
			err := Write(path, big, nil)
			if !errors.Is(err, c.errno) || !strings.HasPrefix(err.Error(), "safetensors: write "+path+": ") {
				t.Fatalf("err = %v, want one naming %s and wrapping %v", err, path, c.errno)
			}
			if checkpoint.DiskHint(dir, err) == "" {
				t.Errorf("checkpoint.DiskHint gives no advice for %v", err)
			}
			f, oerr := Open(path)
			switch {
			case !c.before && !errors.Is(oerr, fs.ErrNotExist):
				t.Errorf("after a failed first write, Open(%s) = %v, want the file absent", path, oerr)
			case c.before && (oerr != nil || strings.Join(f.Names(), ",") != "old"):
				t.Errorf("after a failed write, Open(%s) = %v: want the old file intact", path, oerr)
			}
			if f != nil {
				f.Close()
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if e.Name() != "unit.safetensors" {
					t.Errorf("%s left behind", e.Name())
				}
			}
		})
	}
}
