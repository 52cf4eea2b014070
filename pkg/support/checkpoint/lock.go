package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// One run per output folder. Two runs writing the same stage folder would each resume from the other's
// half-written state and race on complete.json, so every command that writes into output.dir first takes
// a lock there. Shards are the exception by design: the workers of one sharded run (--shard i/n, --gpus,
// Slurm, Kubernetes) write disjoint units in parallel, so each takes the lock of its own shard; an unsharded
// run conflicts with every other.
//
// A lock is a small JSON file, <output.dir>/.locks/<name>.json, created with O_EXCL (so two runs cannot both
// take it) and removed by Release. A run that dies without releasing leaves its file behind; when its
// process no longer exists on this host, the next run takes the lock over and says so.

// LocksDir is the folder of the lock files below the output folder.
const LocksDir = ".locks"

// Holder is what a lock file says about the run that holds it.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
	Name    string    `json:"name"` // "run" or "shard-2-of-4"
}

// LockedError is returned when another live run holds a conflicting lock.
type LockedError struct {
	Dir    string
	Holder Holder
}

func (e *LockedError) Error() string {
	h := e.Holder
	return fmt.Sprintf("%s is in use by another run (%s): PID %d on %s, started %s (%s). Wait for it to finish or stop it; "+
		"to run beside it, give this run another output.dir. A lock left by a run that died on this host is taken over "+
		"automatically; one from another host is in %s: delete it if that run is gone",
		e.Dir, h.Name, h.PID, h.Host, h.Started.Format(time.RFC3339), h.Command, filepath.Join(e.Dir, LocksDir))
}

// Lock is a held lock; Release gives it back.
type Lock struct {
	path string
}

// LockName is the lock of shard i of n: "run" for an unsharded run (n <= 1), else "shard-i-of-n".
func LockName(i, n int) string {
	if n <= 1 {
		return "run"
	}
	return fmt.Sprintf("shard-%d-of-%d", i, n)
}

// Acquire takes the lock name in outDir for this process. It fails with a *LockedError if a live run holds
// the same lock, or if either this lock or a held one is "run" (an unsharded run conflicts with every
// shard). A conflicting lock whose process is gone from this host is removed, with a line on warn.
func Acquire(outDir, name string, warn func(string)) (*Lock, error) {
	dir := filepath.Join(outDir, LocksDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: cannot create the lock folder: %w (is output.dir writable?)", err)
	}
	host, _ := os.Hostname()
	me := Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC(), Command: strings.Join(os.Args, " "), Name: name}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	for _, e := range entries {
		other := strings.TrimSuffix(e.Name(), ".json")
		if e.IsDir() || other == e.Name() || !(other == name || other == "run" || name == "run") {
			continue
		}
		if err := checkHolder(outDir, filepath.Join(dir, e.Name()), host, warn); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(dir, name+".json")
	data, _ := json.MarshalIndent(me, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		// Another run took it between the scan and now.
		if err := checkHolder(outDir, path, host, warn); err != nil {
			return nil, err
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: cannot take the lock %s: %w", path, err)
	}
	_, werr := f.Write(append(data, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("checkpoint: writing the lock %s: %w", path, werr)
	}
	return &Lock{path: path}, nil
}

// checkHolder returns a *LockedError if the lock file at path belongs to a live run, and removes it (with a
// warning) if its process is gone from this host.
func checkHolder(outDir, path, host string, warn func(string)) error {
	var h Holder
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // released meanwhile
	}
	if err != nil {
		return fmt.Errorf("checkpoint: reading the lock %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &h); err != nil || h.PID <= 0 {
		// A lock file is written in one call right after it is created; an unreadable one is a crash's leftover.
		if warn != nil {
			warn(fmt.Sprintf("removing the unreadable lock %s", path))
		}
		return removeLock(path)
	}
	if h.Host == host && !alive(h.PID) {
		if warn != nil {
			warn(fmt.Sprintf("taking over the lock of a run that is gone (PID %d on %s, started %s)", h.PID, h.Host, h.Started.Format(time.RFC3339)))
		}
		return removeLock(path)
	}
	return &LockedError{Dir: outDir, Holder: h}
}

func removeLock(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checkpoint: removing the stale lock %s: %w", path, err)
	}
	return nil
}

// alive reports whether a process with this PID exists (signal 0 checks without sending anything).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Release gives the lock back. Releasing twice, or a nil lock, does nothing.
func (l *Lock) Release() error {
	if l == nil || l.path == "" {
		return nil
	}
	err := os.Remove(l.path)
	l.path = ""
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checkpoint: releasing the lock: %w", err)
	}
	return nil
}
