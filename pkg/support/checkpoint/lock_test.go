package checkpoint

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockOneRunPerFolder(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir, LockName(0, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Acquire(dir, LockName(0, 1), nil)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Holder.PID != os.Getpid() || !strings.Contains(err.Error(), "PID") {
		t.Fatalf("second run: err = %v, want a *LockedError naming this PID", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %v, want under a second", d)
	}
	// An unsharded run conflicts with every shard, and the reverse; shards do not conflict with each other.
	if _, err := Acquire(dir, LockName(1, 4), nil); !errors.As(err, &locked) {
		t.Errorf("a shard beside an unsharded run: err = %v, want *LockedError", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	a, err := Acquire(dir, LockName(0, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(dir, LockName(1, 2), nil)
	if err != nil {
		t.Fatalf("two shards of one run: %v", err)
	}
	if _, err := Acquire(dir, LockName(1, 2), nil); !errors.As(err, &locked) {
		t.Errorf("the same shard twice: err = %v, want *LockedError", err)
	}
	if _, err := Acquire(dir, LockName(0, 1), nil); !errors.As(err, &locked) {
		t.Errorf("an unsharded run beside shards: err = %v, want *LockedError", err)
	}
	a.Release()
	b.Release()
	if c, err := Acquire(dir, LockName(0, 1), nil); err != nil {
		t.Errorf("after release: %v", err)
	} else {
		c.Release()
	}
}

func TestStaleLockIsTakenOver(t *testing.T) {
	dir := t.TempDir()
	// A PID that existed and is gone: a process that has ended.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	stale := Holder{PID: cmd.Process.Pid, Host: host, Started: time.Now().Add(-time.Hour), Command: "emotion-probes run-all", Name: "run"}
	data, _ := json.Marshal(stale)
	if err := os.MkdirAll(filepath.Join(dir, LocksDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, LocksDir, "run.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []string
	l, err := Acquire(dir, "run", func(s string) { warned = append(warned, s) })
	if err != nil {
		t.Fatalf("stale lock: %v", err)
	}
	defer l.Release()
	if len(warned) != 1 || !strings.Contains(warned[0], "gone") {
		t.Errorf("warnings = %q, want one saying the holder is gone", warned)
	}
	// A lock from another host is never taken over: its process cannot be checked from here.
	other := Holder{PID: 1, Host: host + "-elsewhere", Started: time.Now(), Name: "shard-0-of-2"}
	data, _ = json.Marshal(other)
	dir2 := t.TempDir()
	os.MkdirAll(filepath.Join(dir2, LocksDir), 0o755)
	os.WriteFile(filepath.Join(dir2, LocksDir, "shard-0-of-2.json"), data, 0o644)
	var locked *LockedError
	if _, err := Acquire(dir2, "shard-0-of-2", nil); !errors.As(err, &locked) || !strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("another host's lock: err = %v, want *LockedError naming the host", err)
	}
}
