package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// httpStatusError is a response other than 200, kept typed so that callers can tell 404 (absent, try the
// next form) from 401/403 (gated) and the rest.
type httpStatusError struct {
	URL    string
	Status int
	Detail string // the server's own words (the hub's X-Error-Message), if any
}

func (e *httpStatusError) Error() string {
	msg := fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// get starts a GET with optional headers; the caller closes the body. Non-200 answers are *httpStatusError.
func get(o Options, url string, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "emotion-probes (Go net/http)")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &httpStatusError{URL: url, Status: resp.StatusCode}
	}
	return resp, nil
}

// downloadFile fetches url into dst: it streams into a temporary file beside dst, hashing as it goes, checks
// the SHA-256 when wantSHA is not "", and renames into place only then, so dst is either absent or whole.
// It returns the response (body closed) for its headers.
func downloadFile(o Options, url, dst, wantSHA string, header map[string]string) (*http.Response, error) {
	resp, err := get(o, url, header)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("models: cannot create folder for %s: %w", dst, err)
	}
	pr := newProgress(o.Progress, filepath.Base(dst), resp.ContentLength)
	_, err = writeAtomic(dst, io.TeeReader(resp.Body, pr), wantSHA, url)
	pr.done()
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// writeAtomic copies r into dst through a temporary file in dst's folder, verifying the SHA-256 (when wantSHA
// is not ""), then renames. from names the source in messages. It returns the hex SHA-256.
func writeAtomic(dst string, r io.Reader, wantSHA, from string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("models: cannot create folder for %s: %w", dst, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".part-*")
	if err != nil {
		return "", fmt.Errorf("models: cannot write into %s: %w", filepath.Dir(dst), err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		return "", fmt.Errorf("models: copying %s to %s: %w", from, dst, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("models: writing %s: %w", dst, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if wantSHA != "" && got != wantSHA {
		return "", &ChecksumError{File: filepath.Base(dst), From: from, Got: got, Want: wantSHA}
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("models: moving the download into %s: %w", dst, err)
	}
	rememberSHA(dst, got)
	return got, nil
}

// ChecksumError says a downloaded file's hash is not the one pinned or announced: a corrupt or substituted
// download.
type ChecksumError struct {
	File, From string
	Got, Want  string
	Hash       string // "" for SHA-256; "git blob SHA-1" for the hub's small files
}

func (e *ChecksumError) Error() string {
	hash := e.Hash
	if hash == "" {
		hash = "SHA-256"
	}
	return fmt.Sprintf("models: %s from %s has %s %s, want %s: the download is corrupt or not the pinned "+
		"file; it was not kept (retry, or check the mirror or proxy)", e.File, e.From, hash, e.Got, e.Want)
}

// progress writes "name: 45.2 MB / 92.9 MB (48%, 12.3 MB/s)" lines at most every 2 seconds, and a last line.
type progress struct {
	w           io.Writer
	name        string
	total, n    int64
	base        int64 // bytes already there when a resumed download started: not part of the rate
	start, last time.Time
}

func newProgress(w io.Writer, name string, total int64) *progress {
	now := time.Now()
	return &progress{w: w, name: name, total: total, start: now, last: now}
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.w != nil && time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		p.print("")
	}
	return len(b), nil
}

func (p *progress) print(suffix string) {
	secs := time.Since(p.start).Seconds()
	rate := ""
	if secs > 0 {
		rate = formatBytes(int64(float64(p.n-p.base)/secs)) + "/s"
	}
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %s / %s (%d%%, %s)%s\n", p.name, formatBytes(p.n), formatBytes(p.total), 100*p.n/p.total, rate, suffix)
	} else {
		fmt.Fprintf(p.w, "%s: %s (%s)%s\n", p.name, formatBytes(p.n), rate, suffix)
	}
}

func (p *progress) done() {
	if p.w != nil {
		p.print(fmt.Sprintf(" in %.1fs", time.Since(p.start).Seconds()))
	}
}
