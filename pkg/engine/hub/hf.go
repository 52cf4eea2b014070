package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The Hugging Face hub cache, as huggingface_hub lays it out and as this package reads and writes it:
//
//	HFCacheDir/models--ORG--NAME/refs/REVISION          the commit a branch or tag ("main") points to
//	HFCacheDir/models--ORG--NAME/snapshots/COMMIT/FILE  a relative symlink to ../../blobs/ETAG (plain files,
//	                                                    as other tools copy them in, are read as well)
//	HFCacheDir/models--ORG--NAME/blobs/ETAG             the bytes, named by the hub's ETag: the SHA-256 for
//	                                                    LFS files (weights), the git blob SHA-1 for the rest
//	HFCacheDir/models--ORG--NAME/blobs/ETAG.incomplete  a file being downloaded, resumed by the next
//	                                                    run (older huggingface_hub releases resume it too;
//	                                                    2.4 writes a file of its own per process)
//	HFCacheDir/.locks/models--ORG--NAME/ETAG.lock       held while a blob is written: huggingface_hub's own
//	                                                    lock file, so the two never write one blob at once
//
// This file reads that layout and decides whether a download is needed; hfdownload.go and hffile.go download.

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
		// %w keeps the cause's type (a *ChecksumError, say) for callers that ask with errors.As.
		return nil, fmt.Errorf("models: %s is not in the Hugging Face cache and could not be downloaded.\n"+
			"Tried:\n  %s\n  the hub, %s/%s: %w\n%s", id, strings.Join(tried, "\n  "), o.HFEndpoint, id, err, howTo)
	}
	weights, missing := hfFolderFiles(snap)
	if len(missing) > 0 {
		return nil, fmt.Errorf("models: downloaded %s into %s but it lacks %s", id, snap, strings.Join(missing, ", "))
	}
	return &Resolved{Name: id, Kind: HFFolder, Path: snap, Weights: weights,
		Source: "downloaded from " + o.HFEndpoint + "/" + id}, nil
}
