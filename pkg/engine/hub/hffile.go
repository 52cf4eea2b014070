package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// One file of a commit, fetched as huggingface_hub fetches it, so that the two share a cache: a HEAD request
// for the file's ETag and size, the bytes into blobs/ETAG through blobs/ETAG.incomplete (resumed with an HTTP
// Range request after an interruption) under huggingface_hub's lock file, then a relative link in
// snapshots/COMMIT/. Unlike huggingface_hub, every file is checked against its ETag before it is kept.

var (
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	sha1RE   = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// fetchHubFile puts one file of the commit into snapshots/COMMIT/, unless it is there already.
func fetchHubFile(o Options, id, repoDir, commit, name string) error {
	link := filepath.Join(repoDir, "snapshots", commit, filepath.FromSlash(name))
	if _, err := os.Stat(link); err == nil {
		return nil
	}
	u := o.HFEndpoint + "/" + id + "/resolve/" + commit + "/" + url.PathEscape(name)
	meta, err := headHubFile(o, u)
	if err != nil {
		return explainHubError(o, err)
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "models: downloading %s (%s)\n", u, formatBytes(meta.Size))
	}
	blob := filepath.Join(repoDir, "blobs", meta.ETag)
	if err := fetchBlob(o, repoDir, blob, u, name, meta); err != nil {
		return explainHubError(o, err)
	}
	if err := linkSnapshot(link, blob); err != nil {
		return err
	}
	if sha256RE.MatchString(meta.ETag) {
		// Checked on the way in, or trusted as huggingface_hub trusts its own blobs: FileSHA256 need not
		// read a 10 GB file again.
		rememberSHAInProcess(link, meta.ETag)
	}
	return nil
}

// hubFileMeta is what the hub says about one file of a commit before it is downloaded.
type hubFileMeta struct {
	ETag string // the SHA-256 of an LFS file, the git blob SHA-1 of another; quotes and W/ removed
	Size int64  // bytes; 0 when not said
}

// headHubFile asks the hub for a file's metadata, as huggingface_hub's get_hf_file_metadata does: a HEAD
// request that follows redirects within the hub (a renamed repository) but not to another host, since the
// hub's own answer to an LFS file, a redirect to its storage, is the one that carries X-Linked-Etag (the
// SHA-256) and X-Linked-Size; the storage's answer carries an ETag of its own.
func headHubFile(o Options, u string) (hubFileMeta, error) {
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
	req, err := http.NewRequest(http.MethodHead, u, nil)
	if err != nil {
		return hubFileMeta{}, fmt.Errorf("HEAD %s: %w", u, err)
	}
	setHubHeaders(req, o)
	req.Header.Set("Accept-Encoding", "identity") // so that Content-Length is the file's size
	resp, err := client.Do(req)
	if err != nil {
		return hubFileMeta{}, requestError(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return hubFileMeta{}, &httpStatusError{URL: u, Status: resp.StatusCode, Detail: resp.Header.Get("X-Error-Message")}
	}
	etag := resp.Header.Get("X-Linked-Etag")
	if etag == "" {
		etag = resp.Header.Get("ETag")
	}
	meta := hubFileMeta{ETag: normalizeETag(etag)}
	if n, err := strconv.ParseInt(resp.Header.Get("X-Linked-Size"), 10, 64); err == nil {
		meta.Size = n
	} else if resp.StatusCode == http.StatusOK && resp.ContentLength > 0 {
		meta.Size = resp.ContentLength
	}
	// The ETag names the blob and is what the file is checked against; one of another form (a mirror's own)
	// would allow neither.
	if !sha256RE.MatchString(meta.ETag) && !sha1RE.MatchString(meta.ETag) {
		return hubFileMeta{}, fmt.Errorf("HEAD %s: the ETag %q is neither a SHA-256 nor a git blob SHA-1, so the "+
			"file cannot be checked; download the model with `hf download` and copy it into the cache, or point "+
			"HF_ENDPOINT at the hub itself", u, etag)
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

// fetchBlob puts a file into blob (blobs/ETAG), unless it is there, say from another revision or from
// huggingface_hub. The lock is huggingface_hub's own lock file, so a Python process and this one never write
// the same blob at once.
func fetchBlob(o Options, repoDir, blob, u, name string, meta hubFileMeta) error {
	if _, err := os.Stat(blob); err == nil {
		return nil
	}
	lockPath := filepath.Join(o.HFCacheDir, ".locks", filepath.Base(repoDir), meta.ETag+".lock")
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return fmt.Errorf("models: cannot create %s: %w", filepath.Dir(lockPath), err)
	}
	lock := flock.New(lockPath)
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("models: cannot lock %s: %w", lockPath, err)
	}
	defer lock.Unlock()
	if _, err := os.Stat(blob); err == nil { // another process may have finished it while we waited
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return fmt.Errorf("models: cannot create %s: %w", filepath.Dir(blob), err)
	}
	return resumeDownload(o, u, blob, name, meta)
}

// resumeDownload downloads u into blob through blob.incomplete, starting after the bytes already there,
// and renames it into place once it matches meta.ETag. A download that stops early keeps its part for the
// next run; one that is whole but wrong is deleted.
func resumeDownload(o Options, u, blob, name string, meta hubFileMeta) error {
	part := blob + ".incomplete"
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("models: cannot write %s: %w", part, err)
	}
	defer f.Close()
	// SHA-256 on the way in, so that a weight file is not read twice; the part's bytes count towards it.
	h := sha256.New()
	have, err := io.Copy(h, f) // the offset is now at the part's end
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
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
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
			return requestError(err)
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
				"run again to download the file whole", u, asked, resp.Header.Get("Content-Range"))
		default:
			return &httpStatusError{URL: u, Status: resp.StatusCode, Detail: resp.Header.Get("X-Error-Message")}
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
				"and the next run resumes it", u, formatBytes(have), formatBytes(meta.Size), err, part)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("models: writing %s: %w", part, err)
	}
	got, kind := hex.EncodeToString(h.Sum(nil)), ""
	if sha1RE.MatchString(meta.ETag) {
		// A file not in LFS: git's id starts with the size, so it is computed once the file is whole.
		if got, err = gitBlobSHA1(part); err != nil {
			return fmt.Errorf("models: checking %s: %w", part, err)
		}
		kind = "git blob SHA-1"
	}
	if got != meta.ETag {
		os.Remove(part)
		return &ChecksumError{File: name, From: u, Got: got, Want: meta.ETag, Hash: kind}
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

// gitBlobSHA1 is the id git gives a file's contents, the hub's ETag for files not in LFS: SHA-1 of
// "blob SIZE\x00" and the bytes.
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
