package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// What github.com/gomlx/go-huggingface v0.3.1 lacks, and this package needs (checked in its source; the newest
// upstream release, v0.4.0, lacks the same):
//
//   - Resuming. Its downloader writes FILE.downloading from byte 0 and deletes it on any error, so a weight
//     file cut at 9 GB of 10 starts again from zero. Here weight files go to blobs/SHA256.incomplete and a
//     later run asks only for the rest (an HTTP Range request).
//   - Checksums. It checks nothing it downloads, and it takes a connection cut mid-body for the end of the
//     file: the read error is dropped (errors.Wrapf of a nil error is nil), so a truncated or empty file is
//     renamed into blobs/ as if whole. Here every weight file is checked against its SHA-256 (the hub's
//     X-Linked-Etag) and every other file against its git blob SHA-1 (the hub's ETag).
//   - The blob names huggingface_hub uses for weights. Its HEAD request follows the hub's redirect to the
//     storage CDN and names the blob after the CDN's ETag, not the file's SHA-256; here the HEAD stops at the
//     hub's answer, which carries X-Linked-Etag and X-Linked-Size.
//   - Typed errors. HTTP statuses come back only inside message text; here the shim makes the HEAD requests
//     itself (httpStatusError), and libraryError reads the status out of the library's two message formats.
//   - refs/REVISION (written in hfDownload), offline use and the cache lookup (hf.go): the library asks the
//     network before it looks at the cache, and never writes refs/, which huggingface_hub needs offline.
//
// Delete what the library comes to do.

var (
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	sha1RE   = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// hubFileMeta is what the hub says about one file of a commit before it is downloaded.
type hubFileMeta struct {
	ETag string // the SHA-256 of an LFS file, the git blob SHA-1 of another; quotes and W/ removed
	Size int64  // bytes; 0 when not said
	LFS  bool   // stored in LFS: the hub answers with a redirect to its storage and X-Linked-* headers
}

// headHubFile asks the hub for a file's metadata, as huggingface_hub's get_hf_file_metadata does: a HEAD
// request that follows redirects within the hub (a renamed repository) but not to another host, since the
// hub's own redirect answer is the one that carries X-Linked-Etag and X-Linked-Size.
func headHubFile(o Options, url string) (hubFileMeta, error) {
	client := *o.Client
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != via[0].URL.Host {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	req, err := http.NewRequest(http.MethodHead, url, nil)
	if err != nil {
		return hubFileMeta{}, fmt.Errorf("HEAD %s: %w", url, err)
	}
	setHubHeaders(req, o)
	req.Header.Set("Accept-Encoding", "identity") // so that Content-Length is the file's size
	resp, err := client.Do(req)
	if err != nil {
		return hubFileMeta{}, fmt.Errorf("HEAD %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return hubFileMeta{}, &httpStatusError{URL: url, Status: resp.StatusCode, Detail: resp.Header.Get("X-Error-Message")}
	}
	linked := resp.Header.Get("X-Linked-Etag")
	meta := hubFileMeta{LFS: linked != "", ETag: normalizeETag(linked)}
	if !meta.LFS {
		meta.ETag = normalizeETag(resp.Header.Get("ETag"))
	}
	if n, err := strconv.ParseInt(resp.Header.Get("X-Linked-Size"), 10, 64); err == nil {
		meta.Size = n
	} else if resp.StatusCode == http.StatusOK && resp.ContentLength > 0 {
		meta.Size = resp.ContentLength
	}
	if meta.LFS && !sha256RE.MatchString(meta.ETag) {
		return hubFileMeta{}, fmt.Errorf("HEAD %s: X-Linked-Etag %q is not a SHA-256, so the file cannot be "+
			"checked; download the model with `hf download` and copy it into the cache, or point HF_ENDPOINT at "+
			"the hub itself", url, linked)
	}
	return meta, nil
}

func setHubHeaders(req *http.Request, o Options) {
	req.Header.Set("User-Agent", "emotion-probes (Go net/http)")
	if o.HFToken != "" {
		req.Header.Set("Authorization", "Bearer "+o.HFToken)
	}
}

// normalizeETag strips what HTTP wraps an ETag in, as huggingface_hub's _normalize_etag does.
func normalizeETag(s string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "W/"), `"`)
}

// fetchLFS puts a weight file into blobs/SHA256 (unless it is there, say from another revision or from
// huggingface_hub) and links the snapshot to it. The lock is huggingface_hub's own lock file, so a Python
// process and this one never write the same blob at once.
func fetchLFS(o Options, repoDir, link, url string, meta hubFileMeta) error {
	blob := filepath.Join(repoDir, "blobs", meta.ETag)
	if _, err := os.Stat(blob); err != nil {
		lockPath := filepath.Join(o.HFCacheDir, ".locks", filepath.Base(repoDir), meta.ETag+".lock")
		if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
			return fmt.Errorf("models: cannot create %s: %w", filepath.Dir(lockPath), err)
		}
		lock := flock.New(lockPath)
		if err := lock.Lock(); err != nil {
			return fmt.Errorf("models: cannot lock %s: %w", lockPath, err)
		}
		defer lock.Unlock()
		if _, err := os.Stat(blob); err != nil { // another process may have finished it while we waited
			if err := resumeDownload(o, url, blob, filepath.Base(link), meta); err != nil {
				return err
			}
		}
	}
	if err := linkSnapshot(link, blob); err != nil {
		return err
	}
	// A blob is named by its SHA-256: checked above, or trusted as huggingface_hub trusts its own blobs.
	rememberSHAInProcess(link, meta.ETag)
	return nil
}

// resumeDownload downloads url into blob through blob.incomplete, starting after the bytes already there,
// and renames it into place once its SHA-256 is meta.ETag. A download that stops early keeps its part for
// the next run; one that is whole but wrong is deleted.
func resumeDownload(o Options, url, blob, name string, meta hubFileMeta) error {
	part := blob + ".incomplete"
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("models: cannot write %s: %w", part, err)
	}
	defer f.Close()
	h := sha256.New()
	have, err := io.Copy(h, f) // the part's bytes count towards the hash; the offset is now at its end
	if err != nil {
		return fmt.Errorf("models: reading %s: %w", part, err)
	}
	restart := func() error {
		h.Reset()
		have = 0
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("models: truncating %s: %w", part, err)
		}
		_, err := f.Seek(0, io.SeekStart)
		return err
	}
	if meta.Size > 0 && have > meta.Size {
		if err := restart(); err != nil {
			return err
		}
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	setHubHeaders(req, o) // net/http drops Authorization when the hub redirects to its storage's host
	complete := meta.Size > 0 && have == meta.Size
	if have > 0 && !complete {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "models: resuming %s after %s\n", name, formatBytes(have))
		}
	}
	if !complete {
		resp, err := o.Client.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusPartialContent && have > 0 &&
			strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", have)):
		case resp.StatusCode == http.StatusOK:
			if err := restart(); err != nil { // the server ignored the range: it sends the whole file
				return err
			}
		case resp.StatusCode == http.StatusPartialContent:
			asked := have
			restart()
			return fmt.Errorf("GET %s: asked for bytes %d on, the server sent %q; the part was discarded, "+
				"run again to download the file whole", url, asked, resp.Header.Get("Content-Range"))
		default:
			return &httpStatusError{URL: url, Status: resp.StatusCode, Detail: resp.Header.Get("X-Error-Message")}
		}
		pr := newProgress(o.Progress, name, meta.Size)
		pr.n, pr.base = have, have
		n, err := io.Copy(io.MultiWriter(f, h, pr), resp.Body)
		pr.done()
		have += n
		if err != nil || (meta.Size > 0 && have < meta.Size) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("models: downloading %s stopped after %s of %s (%v); the part is kept as %s "+
				"and the next run resumes it", url, formatBytes(have), formatBytes(meta.Size), err, part)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("models: writing %s: %w", part, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != meta.ETag {
		os.Remove(part)
		return &ChecksumError{File: name, From: url, Got: got, Want: meta.ETag}
	}
	if err := os.Rename(part, blob); err != nil {
		return fmt.Errorf("models: moving the download into %s: %w", blob, err)
	}
	return nil
}

// linkSnapshot makes snapshots/COMMIT/NAME a relative symlink to its blob, as huggingface_hub does, so that
// the cache can be moved or copied whole.
func linkSnapshot(link, blob string) error {
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("models: cannot create %s: %w", filepath.Dir(link), err)
	}
	rel, err := filepath.Rel(filepath.Dir(link), blob)
	if err != nil {
		rel = blob
	}
	os.Remove(link)
	if err := os.Symlink(rel, link); err != nil {
		return fmt.Errorf("models: cannot link %s to %s: %w (the Hugging Face cache needs a file system "+
			"with symbolic links; set HF_HUB_CACHE to a folder on one)", link, blob, err)
	}
	return nil
}

// verifySmallFile checks a file the library downloaded against the hub's ETag: its git blob SHA-1 (a SHA-256
// for a file served like an LFS one). A file that fails is removed with its blob, so that a retry fetches it
// anew. An ETag of another form (a mirror's own) leaves nothing to check against.
func verifySmallFile(path, url string, meta hubFileMeta) error {
	var got, kind string
	var err error
	switch {
	case sha1RE.MatchString(meta.ETag):
		got, err = gitBlobSHA1(path)
		kind = "git blob SHA-1"
	case sha256RE.MatchString(meta.ETag):
		got, err = FileSHA256(path)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("models: checking %s: %w", path, err)
	}
	if got == meta.ETag {
		return nil
	}
	if blob, err := filepath.EvalSymlinks(path); err == nil && blob != path {
		os.Remove(blob)
	}
	os.Remove(path)
	return &ChecksumError{File: filepath.Base(path), From: url, Got: got, Want: meta.ETag, Hash: kind}
}

// gitBlobSHA1 is the id git gives a file's contents: SHA-1 of "blob SIZE\x00" and the bytes.
func gitBlobSHA1(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", st.Size())
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// The library's two ways of saying an HTTP status (v0.3.1): its downloader's
// `while downloading "URL" to "PATH": bad status code 404: "X-Error-Message"` and its metadata request's
// `request for metadata from "URL" failed with the following message: "404 Not Found"`. A failed
// connection ends in net/http's own `Get "URL": CAUSE`.
var (
	libStatusRE = regexp.MustCompile(`(?:while downloading|request for metadata from) "([^"]+)".*?` +
		`(?:bad status code (\d{3})(?:: "(.*)")?|failed with the following message: "(\d{3})[^"]*")`)
	libTransportRE = regexp.MustCompile(`(?s)(?:Get|Head) "([^"]+)": (.*)$`)
)

// libraryError turns a library error into one that says what was asked and what came back, without the
// library's layers of context (temporary file names among them): an httpStatusError for an HTTP status,
// "GET URL: CAUSE" for a failed connection. Others pass as they are.
func libraryError(err error) error {
	msg := err.Error()
	if m := libStatusRE.FindStringSubmatch(msg); m != nil {
		code := m[2]
		if code == "" {
			code = m[4]
		}
		status, _ := strconv.Atoi(code)
		return &httpStatusError{URL: m[1], Status: status, Detail: m[3]}
	}
	if m := libTransportRE.FindStringSubmatch(msg); m != nil {
		return &libraryTransportError{msg: "GET " + m[1] + ": " + m[2], err: err}
	}
	return err
}

// libraryTransportError is a shorter message for a library error that still unwraps to the original.
type libraryTransportError struct {
	msg string
	err error
}

func (e *libraryTransportError) Error() string { return e.msg }
func (e *libraryTransportError) Unwrap() error { return e.err }

// explainHubError adds what an HTTP status means on the hub and what to do about it.
func explainHubError(o Options, err error) error {
	var se *httpStatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		if o.HFToken != "" {
			return fmt.Errorf("%w (the token in HF_TOKEN was refused: check that it can read this repository "+
				"and that its licence is accepted on the hub)", err)
		}
		return fmt.Errorf("%w (a gated or private model, or none of that name: for a gated one accept its "+
			"licence on the hub and set HF_TOKEN)", err)
	case http.StatusNotFound:
		return fmt.Errorf("%w (no such model, revision %q or file)", err, o.Revision)
	}
	return err
}
