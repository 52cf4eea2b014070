package hub

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// hashEntry is a remembered SHA-256, valid while the file keeps its size and modification time.
type hashEntry struct {
	size, mtime int64
	sum         string
}

var hashCache = struct {
	sync.Mutex
	m map[string]hashEntry
}{m: map[string]hashEntry{}}

// FileSHA256 returns the hex SHA-256 of a file's bytes, for checkpoint fingerprints and download checks.
// Hashing 100 MB takes a fraction of a second, 10 GB a minute, so results are remembered: in memory for this
// process, and, for files of sidecarMinSize or more, in a sidecar file PATH.sha256 ("<hex>  <name>" as
// sha256sum writes it, then a line with the size and modification time it is valid for) for later processes.
// A sidecar is trusted only while the size and modification time match; one that cannot be written
// (read-only folder) is skipped.
func FileSHA256(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("models: hash %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("models: hash %s: %w", path, err)
	}
	if st.IsDir() {
		return "", fmt.Errorf("models: hash %s: is a folder, not a file", path)
	}
	key := hashEntry{size: st.Size(), mtime: st.ModTime().UnixNano()}
	hashCache.Lock()
	e, ok := hashCache.m[abs]
	hashCache.Unlock()
	if ok && e.size == key.size && e.mtime == key.mtime {
		return e.sum, nil
	}
	if sum, ok := readSidecar(abs, key); ok {
		storeHash(abs, key, sum)
		return sum, nil
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", fmt.Errorf("models: hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("models: hash %s: %w", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	storeHash(abs, key, sum)
	writeSidecar(abs, key, sum)
	return sum, nil
}

// rememberSHA records the hash of a file just written (its bytes were hashed on the way in).
func rememberSHA(path, sum string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	st, err := os.Stat(abs)
	if err != nil {
		return
	}
	key := hashEntry{size: st.Size(), mtime: st.ModTime().UnixNano()}
	storeHash(abs, key, sum)
	writeSidecar(abs, key, sum)
}

// rememberSHAInProcess records a hash checked on the way in, for this process only: for files in the shared
// Hugging Face cache, where a sidecar of ours would be a stray file to other tools.
func rememberSHAInProcess(path, sum string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	if st, err := os.Stat(abs); err == nil {
		storeHash(abs, hashEntry{size: st.Size(), mtime: st.ModTime().UnixNano()}, sum)
	}
}

func storeHash(abs string, key hashEntry, sum string) {
	key.sum = sum
	hashCache.Lock()
	hashCache.m[abs] = key
	hashCache.Unlock()
}

func sidecarPath(abs string) string { return abs + ".sha256" }

func readSidecar(abs string, key hashEntry) (string, bool) {
	f, err := os.Open(sidecarPath(abs))
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []string
	for sc.Scan() && len(lines) < 2 {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2 {
		return "", false
	}
	sum, _, _ := strings.Cut(lines[0], " ")
	meta := strings.Fields(strings.TrimPrefix(lines[1], "#"))
	if len(sum) != 64 || len(meta) != 2 {
		return "", false
	}
	size, err1 := strconv.ParseInt(strings.TrimPrefix(meta[0], "size="), 10, 64)
	mtime, err2 := strconv.ParseInt(strings.TrimPrefix(meta[1], "mtime_ns="), 10, 64)
	if err1 != nil || err2 != nil || size != key.size || mtime != key.mtime {
		return "", false
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return "", false
	}
	return sum, true
}

// sidecarMinSize: smaller files hash in under 50 ms and get no sidecar.
const sidecarMinSize = 16 << 20

func writeSidecar(abs string, key hashEntry, sum string) {
	if key.size < sidecarMinSize {
		return
	}
	body := fmt.Sprintf("%s  %s\n# size=%d mtime_ns=%d\n", sum, filepath.Base(abs), key.size, key.mtime)
	_ = os.WriteFile(sidecarPath(abs), []byte(body), 0o644) // best effort: a cache, not a record
}
