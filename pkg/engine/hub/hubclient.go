package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	gohf "github.com/gomlx/go-huggingface/hub"
)

// Downloads from the Hugging Face hub go through github.com/gomlx/go-huggingface (its hub package, v0.3.1),
// the Go port of huggingface_hub by GoMLX's author. It asks the hub's API which commit a revision names and
// which files that commit holds, and downloads small files into the shared cache layout (blobs/ named by
// ETag, relative symlinks in snapshots/COMMIT/, a lock file per blob).
//
// What it does not do is in hubshim.go, kept apart so that it can be deleted when the library learns it:
// weight files (LFS) are fetched there, resumably and checked against their SHA-256, because the library
// restarts an interrupted file from zero, checks nothing, and accepts a connection cut mid-body as a complete
// file. The shim also asks for each file's metadata itself, so that HTTP errors come back typed.

// hfDownload fetches a model's files from the hub into the cache layout and returns the snapshot folder.
// Files already in the snapshot are kept, so an interrupted download goes on where it stopped: file by file,
// and inside a weight file from its blobs/SHA256.incomplete.
func hfDownload(o Options, id, repoDir string) (string, error) {
	_, statErr := os.Stat(repoDir)
	snap, err := hfDownloadInto(o, id, repoDir)
	if err != nil && errors.Is(statErr, os.ErrNotExist) {
		removeLeftovers(repoDir)
	}
	return snap, err
}

func hfDownloadInto(o Options, id, repoDir string) (string, error) {
	repo := gohf.New(id).
		WithEndpoint(o.HFEndpoint). // the library reads HF_ENDPOINT itself; ours comes through package env
		WithCacheDir(o.HFCacheDir).
		WithAuth(o.HFToken).
		WithRevision(o.Revision)
	repo.Verbosity = 0           // it would print to stdout; progress goes to o.Progress instead
	repo.MaxParallelDownload = 1 // one file at a time: lines in o.Progress stay readable

	// The commit and the file list. The library caches the answer in models--ORG--NAME/info/REVISION, a
	// folder huggingface_hub does not know and ignores.
	if err := repo.DownloadInfo(true); err != nil {
		return "", explainHubError(o, libraryError(err))
	}
	info := repo.Info()
	commit := info.CommitHash
	if !commitRE.MatchString(commit) {
		return "", fmt.Errorf("%s/api/models/%s/revision/%s answered without a commit hash (\"sha\": %q): "+
			"is HF_ENDPOINT a Hugging Face hub?", o.HFEndpoint, id, url.PathEscape(o.Revision), commit)
	}
	listed := map[string]bool{}
	for _, f := range info.Siblings {
		listed[f.Name] = true
	}
	files, err := chooseFiles(id, commit, listed)
	if err != nil {
		return "", err
	}
	snap := filepath.Join(repoDir, "snapshots", commit)
	for _, name := range files {
		if err := fetchHubFile(o, repo, id, repoDir, commit, name); err != nil {
			return "", err
		}
	}
	if files[len(files)-1] == safetensorsIndex {
		shards, err := indexShards(filepath.Join(snap, safetensorsIndex))
		if err != nil {
			return "", fmt.Errorf("models: %s (commit %s): %s: %w", id, commit[:12], safetensorsIndex, err)
		}
		for _, s := range shards {
			if !listed[s] {
				return "", fmt.Errorf("models: %s (commit %s): %s names %s, which the repository does not hold",
					id, commit[:12], safetensorsIndex, s)
			}
			if err := fetchHubFile(o, repo, id, repoDir, commit, s); err != nil {
				return "", err
			}
		}
	}
	if !commitRE.MatchString(o.Revision) {
		// The library does not write refs/; huggingface_hub needs it to find this snapshot offline.
		ref := filepath.Join(repoDir, "refs", filepath.FromSlash(o.Revision))
		if _, err := writeAtomic(ref, strings.NewReader(commit), "", "refs"); err != nil {
			return "", err
		}
	}
	return snap, nil
}

const safetensorsIndex = "model.safetensors.index.json"

// chooseFiles picks, from the commit's file list, what a model needs here: config.json and tokenizer.json,
// the optional configs that are there, then the weights: the safetensors index (last, so that the caller
// reads its shards) or model.safetensors. Pickled PyTorch weights are never chosen.
func chooseFiles(id, commit string, listed map[string]bool) ([]string, error) {
	var files []string
	for _, name := range []string{"config.json", "tokenizer.json"} {
		if !listed[name] {
			return nil, fmt.Errorf("models: %s (commit %s) has no %s, which a model needs here; it holds: %s",
				id, commit[:12], name, listFiles(listed))
		}
		files = append(files, name)
	}
	for _, name := range []string{"tokenizer_config.json", "generation_config.json", "special_tokens_map.json"} {
		if listed[name] {
			files = append(files, name)
		}
	}
	switch {
	case listed[safetensorsIndex]:
		return append(files, safetensorsIndex), nil
	case listed["model.safetensors"]:
		return append(files, "model.safetensors"), nil
	}
	return nil, fmt.Errorf("models: %s (commit %s) has no safetensors weights (model.safetensors or %s); "+
		"it holds: %s", id, commit[:12], safetensorsIndex, listFiles(listed))
}

// listFiles names up to 20 files, for messages.
func listFiles(listed map[string]bool) string {
	var names []string
	for n := range listed {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no files"
	}
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + fmt.Sprintf(" and %d more", len(names)-20)
	}
	return strings.Join(names, ", ")
}

// fetchHubFile puts one file of the commit into snapshots/COMMIT/, unless it is there already. Weight files
// (LFS) go through the shim; the rest through the library, then checked against their git blob SHA-1.
func fetchHubFile(o Options, repo *gohf.Repo, id, repoDir, commit, name string) error {
	link := filepath.Join(repoDir, "snapshots", commit, filepath.FromSlash(name))
	if _, err := os.Stat(link); err == nil {
		return nil
	}
	u := o.HFEndpoint + "/" + id + "/resolve/" + commit + "/" + name
	meta, err := headHubFile(o, u)
	if err != nil {
		return explainHubError(o, err)
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "models: downloading %s (%s)\n", u, formatBytes(meta.Size))
	}
	if meta.LFS {
		return fetchLFS(o, repoDir, link, u, meta)
	}
	path, err := repo.DownloadFile(name)
	if err != nil {
		return explainHubError(o, libraryError(err))
	}
	return verifySmallFile(path, u, meta)
}

// removeLeftovers undoes what a failed first download leaves in a repository folder that did not exist
// before: the library's info/ (its cached answer and lock file) and empty folders, since huggingface_hub's
// cache scan reports a repository folder without snapshots as corrupt. A partial weight file stays, to be
// resumed.
func removeLeftovers(repoDir string) {
	os.RemoveAll(filepath.Join(repoDir, "info"))
	var dirs []string
	filepath.WalkDir(repoDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails, as it should, on a folder that is not empty
	}
}
