package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The Hugging Face hub cache, as huggingface_hub lays it out and as this package reads and writes it:
//
//	HFCacheDir/models--ORG--NAME/refs/main             the commit hash "main" points to
//	HFCacheDir/models--ORG--NAME/snapshots/COMMIT/...  the files (huggingface_hub makes them symlinks into
//	                                                   blobs/; this package writes plain files, which
//	                                                   huggingface_hub and transformers read as well)

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// hfFolderFiles checks a Hugging Face folder: config.json, tokenizer.json and the weights (the shards named by
// model.safetensors.index.json, else model.safetensors, else every *.safetensors). It returns the weight files
// and what is missing.
func hfFolderFiles(dir string) (weights, missing []string) {
	for _, f := range []string{"config.json", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	if shards, err := indexShards(filepath.Join(dir, "model.safetensors.index.json")); err == nil {
		for _, s := range shards {
			p := filepath.Join(dir, s)
			if _, err := os.Stat(p); err != nil {
				missing = append(missing, s+" (a shard named in model.safetensors.index.json)")
				continue
			}
			weights = append(weights, p)
		}
		return weights, missing
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, append(missing, "a readable model.safetensors.index.json ("+err.Error()+")")
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		return []string{filepath.Join(dir, "model.safetensors")}, missing
	}
	weights, _ = filepath.Glob(filepath.Join(dir, "*.safetensors"))
	sort.Strings(weights)
	if len(weights) == 0 {
		if pk := pickleWeights(dir); len(pk) > 0 {
			missing = append(missing, "model.safetensors: "+pickleAdvice(dir, pk))
		} else {
			missing = append(missing, "model.safetensors (or model.safetensors.index.json and its shards)")
		}
	}
	return weights, missing
}

// Pickled PyTorch weights (pytorch_model.bin, *.pt, *.pth) are never loaded, not even read: unpickling runs
// whatever code the file carries, so a model downloaded from a stranger could run anything on this machine.
// A folder whose only weights are pickles is refused with what to do instead: convert them to safetensors,
// a format that holds numbers and nothing else.
var pickleGlobs = []string{"*.bin", "*.pt", "*.pth"}

// pickleWeights lists the pickled weight files of dir, by name.
func pickleWeights(dir string) []string {
	var out []string
	for _, g := range pickleGlobs {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		for _, p := range m {
			out = append(out, filepath.Base(p))
		}
	}
	sort.Strings(out)
	return out
}

// pickleAdvice says why pickled weights are refused and how to convert them.
func pickleAdvice(dir string, pickles []string) string {
	return fmt.Sprintf("its weights are PyTorch pickles (%s), which are never loaded: unpickling a "+
		"file runs any code it carries. Convert them to safetensors, on a machine where you trust the file, with Python "+
		"(torch and transformers installed): `from transformers import AutoModelForCausalLM; "+
		"AutoModelForCausalLM.from_pretrained(%q).save_pretrained(%q, safe_serialization=True)`, which writes "+
		"safetensors weights beside them; or download the model's safetensors weights where its publisher offers them",
		describeNames(pickles), dir, dir)
}

// describeNames lists a few names, for messages.
func describeNames(names []string) string {
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}

// indexShards reads the shard file names of a safetensors index, sorted and without repeats.
func indexShards(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseIndex(data)
}

func parseIndex(data []byte) ([]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	seen := map[string]bool{}
	var shards []string
	for _, s := range idx.WeightMap {
		if s == "" || strings.Contains(s, "..") || filepath.IsAbs(s) || strings.ContainsAny(s, `/\`) {
			return nil, fmt.Errorf("unsafe shard name %q", s)
		}
		if !seen[s] {
			seen[s] = true
			shards = append(shards, s)
		}
	}
	if len(shards) == 0 {
		return nil, errors.New("weight_map names no shards")
	}
	sort.Strings(shards)
	return shards, nil
}

func hfRepoDir(cache, id string) string {
	return filepath.Join(cache, "models--"+strings.ReplaceAll(id, "/", "--"))
}

// findSnapshot finds the cached snapshot for a revision: refs/REV names the commit; a commit names itself;
// without refs/main, the newest complete snapshot. It returns the snapshot (possibly incomplete, "" if none)
// and what it looked at, for messages.
func findSnapshot(repo, rev string) (dir string, tried []string) {
	snaps := filepath.Join(repo, "snapshots")
	if commitRE.MatchString(rev) {
		return filepath.Join(snaps, rev), nil
	}
	ref := filepath.Join(repo, "refs", filepath.FromSlash(rev))
	if b, err := os.ReadFile(ref); err == nil {
		return filepath.Join(snaps, strings.TrimSpace(string(b))), nil
	}
	tried = append(tried, ref+": absent")
	if rev != "main" {
		return "", tried
	}
	entries, err := os.ReadDir(snaps)
	if err != nil {
		tried = append(tried, snaps+": absent")
		return "", tried
	}
	var best string
	var bestTime int64
	for _, e := range entries {
		d := filepath.Join(snaps, e.Name())
		if _, missing := hfFolderFiles(d); len(missing) > 0 {
			tried = append(tried, d+": incomplete, missing "+strings.Join(missing, ", "))
			continue
		}
		if info, err := e.Info(); err == nil && (best == "" || info.ModTime().UnixNano() > bestTime) {
			best, bestTime = d, info.ModTime().UnixNano()
		}
	}
	return best, tried
}

// resolveHF finds a Hugging Face id in the cache, or downloads it into the cache.
func resolveHF(id string, o Options) (*Resolved, error) {
	repo := hfRepoDir(o.HFCacheDir, id)
	snap, tried := findSnapshot(repo, o.Revision)
	if snap != "" {
		weights, missing := hfFolderFiles(snap)
		if len(missing) == 0 {
			return &Resolved{Name: id, Kind: HFFolder, Path: snap, Weights: weights, Source: "Hugging Face cache"}, nil
		}
		tried = append(tried, snap+": incomplete, missing "+strings.Join(missing, ", "))
	}
	howTo := fmt.Sprintf("To supply it: on a machine with network run `hf download %s` (or `huggingface-cli download %s`) "+
		"and copy its folder %s into %s; or put config.json, tokenizer.json and the *.safetensors in a folder "+
		"and set model.name to that folder (or to a .gguf file)", id, id, filepath.Base(repo), o.HFCacheDir)
	if o.Offline {
		return nil, fmt.Errorf("models: %s is not in the Hugging Face cache and downloads are off (offline).\nTried:\n  %s\n%s",
			id, strings.Join(tried, "\n  "), howTo)
	}
	snap, err := hfDownload(o, id, repo)
	if err != nil {
		tried = append(tried, err.Error())
		return nil, fmt.Errorf("models: %s is not in the Hugging Face cache and could not be downloaded.\nTried:\n  %s\n%s",
			id, strings.Join(tried, "\n  "), howTo)
	}
	weights, missing := hfFolderFiles(snap)
	if len(missing) > 0 {
		return nil, fmt.Errorf("models: downloaded %s into %s but it lacks %s", id, snap, strings.Join(missing, ", "))
	}
	return &Resolved{Name: id, Kind: HFFolder, Path: snap, Weights: weights,
		Source: "downloaded from " + o.HFEndpoint + "/" + id}, nil
}

// hfDownload fetches a model's files from the hub into the cache layout and returns the snapshot folder.
// Files already in the snapshot are kept, so an interrupted download resumes file by file.
func hfDownload(o Options, id, repo string) (string, error) {
	base := o.HFEndpoint + "/" + id + "/resolve/" + url.PathEscape(o.Revision) + "/"
	header := map[string]string{}
	if o.HFToken != "" {
		header["Authorization"] = "Bearer " + o.HFToken
	}
	explain := func(err error) error {
		var se *httpStatusError
		if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden) {
			return fmt.Errorf("%w (a gated or private model: accept its licence on the hub and set HF_TOKEN)", err)
		}
		if isNotFound(err) {
			return fmt.Errorf("%w (no such model or revision %q)", err, o.Revision)
		}
		return err
	}

	// config.json first: its answer names the commit (X-Repo-Commit), which names the snapshot folder.
	resp, err := get(o, base+"config.json", header)
	if err != nil {
		return "", explain(err)
	}
	commit := resp.Header.Get("X-Repo-Commit")
	if !commitRE.MatchString(commit) {
		commit = o.Revision // a mirror that does not say; the snapshot is named after the revision
	}
	snap := filepath.Join(repo, "snapshots", commit)
	_, err = writeAtomic(filepath.Join(snap, "config.json"), resp.Body, "", base+"config.json")
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	fetch := func(name string) error {
		dst := filepath.Join(snap, name)
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "models: downloading %s\n", base+name)
		}
		_, err := downloadFile(o, base+name, dst, "", header)
		return err
	}
	if err := fetch("tokenizer.json"); err != nil {
		return "", explain(err)
	}
	for _, name := range []string{"tokenizer_config.json", "generation_config.json", "special_tokens_map.json"} {
		if err := fetch(name); err != nil && !isNotFound(err) {
			return "", explain(err)
		}
	}
	switch err := fetch("model.safetensors.index.json"); {
	case err == nil:
		shards, err := indexShards(filepath.Join(snap, "model.safetensors.index.json"))
		if err != nil {
			return "", fmt.Errorf("models: %s: model.safetensors.index.json: %w", id, err)
		}
		for _, s := range shards {
			if err := fetch(s); err != nil {
				return "", explain(err)
			}
		}
	case isNotFound(err):
		if err := fetch("model.safetensors"); isNotFound(err) {
			return "", fmt.Errorf("%w: %s has neither model.safetensors nor model.safetensors.index.json. If its weights "+
				"are pytorch_model.bin, that is a PyTorch pickle, which is never loaded (unpickling runs any code the file "+
				"carries): convert it to safetensors (AutoModelForCausalLM.from_pretrained(...).save_pretrained(DIR, "+
				"safe_serialization=True) in Python) and set model.name to that folder", err, id)
		} else if err != nil {
			return "", explain(err)
		}
	default:
		return "", explain(err)
	}
	if !commitRE.MatchString(o.Revision) {
		ref := filepath.Join(repo, "refs", filepath.FromSlash(o.Revision))
		if _, err := writeAtomic(ref, strings.NewReader(commit), "", "refs"); err != nil {
			return "", err
		}
	}
	return snap, nil
}
