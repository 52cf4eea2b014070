package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// tempFile is what WriteFileAtomic needs of its temp file; *os.File has it.
type tempFile interface {
	Name() string
	Write(p []byte) (int, error)
	Chmod(mode os.FileMode) error
	Sync() error
	Close() error
}

// Seams for fault injection. A full disk or a read-only folder cannot be made on demand in a test (and
// tests often run as root, whom chmod does not stop), so the tests replace these with versions that fail
// with ENOSPC, EACCES or EROFS at a chosen step. Production code never changes them.
var (
	createTemp = func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
	mkdirAll   = os.MkdirAll
)

// WriteFileAtomic writes data to path so that path is never seen half-written: it creates the parent
// folders, writes a temp file in the same folder (a rename is atomic only within one file system), fsyncs it,
// renames it over path and fsyncs the folder so the rename itself survives a crash. On any error the temp
// file is removed and path keeps its previous content (or stays absent). The file's mode is 0644.
//
// A full disk or an unwritable folder gives an error that names path, wraps the system's error (test it
// with errors.Is(err, syscall.ENOSPC) or fs.ErrPermission) and says what to do (see DiskHint).
func WriteFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := mkdirAll(dir, 0o755); err != nil {
		return writeError(path, "create its folder", err)
	}
	tmp, err := createTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return writeError(path, "create temp file", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close() // may already be closed; the error then is irrelevant
			_ = os.Remove(tmpName)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return writeError(path, "", err)
	}
	if err = tmp.Chmod(0o644); err != nil && runtime.GOOS != "windows" {
		return writeError(path, "chmod temp file", err)
	}
	// Sync and Close are where a full disk shows on file systems that allocate late (NFS, XFS with
	// delayed allocation): a Write that succeeded proves nothing until then.
	if err = tmp.Sync(); err != nil {
		return writeError(path, "fsync", err)
	}
	if err = tmp.Close(); err != nil {
		return writeError(path, "close temp file", err)
	}
	if err = os.Rename(tmpName, path); err != nil {
		return writeError(path, "rename temp file into place", err)
	}
	return syncDir(dir)
}

// writeError wraps err from the step of writing path, adding DiskHint's advice when there is some.
func writeError(path, step string, err error) error {
	if step != "" {
		step += ": "
	}
	if hint := DiskHint(filepath.Dir(path), err); hint != "" {
		return fmt.Errorf("checkpoint: write %s: %s%w: %s", path, step, err, hint)
	}
	return fmt.Errorf("checkpoint: write %s: %s%w", path, step, err)
}

// DiskHint says what to do about err, an error from writing into the folder dir, when it is a full disk
// or an unwritable folder; otherwise it returns "". Writers outside this package (the safetensors units of
// activations) use it so that every stage explains these faults in the same words.
func DiskHint(dir string, err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "the disk is full: free space and rerun; finished units are kept"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Sprintf("the folder %s is not writable (read-only file system or no permission): "+
			"check its permissions, or set output.dir to a writable folder, and rerun; finished units are kept", dir)
	}
	return ""
}

// syncDir fsyncs a folder so that a rename into it is durable. Windows cannot open folders for syncing,
// and its renames are already journaled, so there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: fsync folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("checkpoint: fsync folder %s: %w", dir, err)
	}
	return nil
}

// WriteJSON writes v as indented JSON (two spaces, a final newline) to path, atomically.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: write %s: encode JSON: %w", path, err)
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

// ReadJSON decodes the JSON file at path into v. A missing file gives an error wrapping fs.ErrNotExist
// (test it with errors.Is); a file that does not decode (truncated, empty, not JSON, or of another shape
// than v) gives a *CorruptError.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("checkpoint: read %s: %w", path, err)
	}
	if err := decodeJSON(data, v); err != nil {
		return &CorruptError{Path: path, Err: err}
	}
	return nil
}

func decodeJSON(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("empty file")
	}
	return json.Unmarshal(data, v)
}

// Exists reports whether path exists (file or folder). Errors other than "not found" (permissions) count
// as existing, so that a caller skipping done work does not silently overwrite something it cannot read.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

// CorruptError is returned for a checkpoint file that exists but does not decode. Since every checkpoint is
// written atomically, this means it was damaged after the fact (disk full on another writer, a hand edit,
// a copy cut short) or was written by an incompatible version.
type CorruptError struct {
	Path string // the file
	Err  error  // the decoding error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("checkpoint %s is truncated or corrupt (%v): delete it and rerun (it will be recomputed), "+
		"or rerun with --force", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }
