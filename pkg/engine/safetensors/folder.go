package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/jsonerr"
)

// Standard file names of a Hugging Face checkpoint folder.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// OpenFolder opens the safetensors weights of a folder laid out as Hugging Face's save_pretrained does:
// either the index model.safetensors.index.json, whose weight_map names the shard of every tensor, or a
// single model.safetensors. The result reads tensors from whichever shard holds them.
func OpenFolder(dir string) (*File, error) {
	index := filepath.Join(dir, IndexFileName)
	if _, err := os.Stat(index); err == nil {
		return OpenIndex(index)
	}
	single := filepath.Join(dir, SingleFileName)
	if _, err := os.Stat(single); err == nil {
		return Open(single)
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	return nil, fmt.Errorf("safetensors: folder %s holds neither %s nor %s (found %d other .safetensors files: %s)",
		dir, IndexFileName, SingleFileName, len(found), describe(found))
}

// OpenIndex opens a sharded checkpoint from its index file {"metadata": {...}, "weight_map": {tensor: shard}}.
// Shards are file names in the index's folder (a path elsewhere is refused). A shard that is missing, or
// lacks a tensor the index puts in it, is an error naming both.
func OpenIndex(indexPath string) (*File, error) {
	b, err := os.ReadFile(indexPath)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return openIndex(indexPath, b)
}

// openIndex opens the shards named by b, the content of the index file indexPath.
func openIndex(indexPath string, b []byte) (*File, error) {
	var idx struct {
		Metadata  map[string]json.RawMessage `json:"metadata"`
		WeightMap map[string]string          `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("safetensors: index %s: not an index {\"weight_map\": {tensor: shard file}}%s: %w", indexPath, jsonerr.Where(b, err), err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors: index %s: empty or missing weight_map", indexPath)
	}
	// The first tensor (in name order) of each shard, for messages.
	shardOf := map[string]string{}
	names := make([]string, 0, len(idx.WeightMap))
	for n := range idx.WeightMap {
		names = append(names, n)
	}
	sort.Strings(names)
	var shardNames []string
	for _, n := range names {
		s := idx.WeightMap[n]
		// Shards sit beside the index: a downloaded index must not make the reader open other files.
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\`) || filepath.IsAbs(s) {
			return nil, fmt.Errorf("safetensors: index %s: weight_map[%q] is %q, not a file name in the index's folder: fix the index",
				indexPath, n, s)
		}
		if _, ok := shardOf[s]; !ok {
			shardOf[s] = n
			shardNames = append(shardNames, s)
		}
	}

	dir := filepath.Dir(indexPath)
	f := &File{path: dir, entries: make(map[string]*entry, len(names))}
	fail := func(err error) (*File, error) {
		f.Close()
		return nil, err
	}
	byShard := map[string]map[string]*entry{}
	for _, sn := range shardNames {
		p := filepath.Join(dir, sn)
		s, entries, meta, err := openShard(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fail(fmt.Errorf("safetensors: index %s: shard %s (holding %q among others) is missing: download it or fix weight_map: %w",
					indexPath, sn, shardOf[sn], err))
			}
			return fail(fmt.Errorf("safetensors: index %s: shard %s (holding %q among others): %w", indexPath, sn, shardOf[sn], err))
		}
		f.shards = append(f.shards, s)
		byShard[sn] = entries
		for k, v := range meta {
			if f.metadata == nil {
				f.metadata = map[string]string{}
			}
			if _, dup := f.metadata[k]; !dup {
				f.metadata[k] = v
			}
		}
	}
	for _, n := range names {
		sn := idx.WeightMap[n]
		e, ok := byShard[sn][n]
		if !ok {
			return fail(fmt.Errorf("safetensors: index %s: weight_map puts tensor %q in %s, which does not hold it", indexPath, n, sn))
		}
		f.entries[n] = e
	}
	for k, v := range idx.Metadata {
		if f.metadata == nil {
			f.metadata = map[string]string{}
		}
		if _, dup := f.metadata[k]; !dup {
			var s string
			if json.Unmarshal(v, &s) != nil { // not a JSON string: keep its text ("166")
				s = string(v)
			}
			f.metadata[k] = s
		}
	}
	f.sortNames()
	return f, nil
}
