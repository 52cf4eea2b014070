package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Downloads from the Hugging Face hub, done here with net/http rather than a hub library (doc.go says why):
// this file asks the hub which commit a revision names and which files it holds, chooses what a model needs
// and writes refs/REVISION; hffile.go fetches, checks and links each file.

// hfDownload fetches a model's files from the hub into the cache layout and returns the snapshot folder.
// Files already in the snapshot are kept, so an interrupted download goes on where it stopped: file by file,
// and inside a file from its blobs/ETAG.incomplete.
func hfDownload(o Options, id, repoDir string) (string, error) {
	_, statErr := os.Stat(repoDir)
	snap, err := hfDownloadInto(o, id, repoDir)
	if err != nil && errors.Is(statErr, os.ErrNotExist) {
		removeLeftovers(repoDir)
	}
	return snap, err
}

func hfDownloadInto(o Options, id, repoDir string) (string, error) {
	commit, listed, err := fetchRevision(o, id)
	if err != nil {
		return "", explainHubError(o, err)
	}
	files, err := chooseFiles(id, commit, listed)
	if err != nil {
		return "", err
	}
	snap := filepath.Join(repoDir, "snapshots", commit)
	for _, name := range files {
		if err := fetchHubFile(o, id, repoDir, commit, name); err != nil {
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
			if err := fetchHubFile(o, id, repoDir, commit, s); err != nil {
				return "", err
			}
		}
	}
	if !commitRE.MatchString(o.Revision) {
		// Last, so that refs/ never names a snapshot that lacks files; huggingface_hub reads it offline.
		ref := filepath.Join(repoDir, "refs", filepath.FromSlash(o.Revision))
		if _, err := writeAtomic(ref, strings.NewReader(commit), "", "refs"); err != nil {
			return "", err
		}
	}
	return snap, nil
}

// fetchRevision asks the hub which commit a revision names and which files that commit holds, as
// huggingface_hub's model_info does: GET /api/models/ID/revision/REV (the revision escaped whole, so that
// "refs/pr/1" stays one path segment).
func fetchRevision(o Options, id string) (commit string, listed map[string]bool, err error) {
	u := o.HFEndpoint + "/api/models/" + id + "/revision/" + url.PathEscape(o.Revision)
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", nil, fmt.Errorf("GET %s: %w", u, err)
	}
	setHubHeaders(req, o)
	resp, err := o.Client.Do(req)
	if err != nil {
		return "", nil, requestError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, &httpStatusError{URL: u, Status: resp.StatusCode, Detail: resp.Header.Get("X-Error-Message")}
	}
	var info struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			Name string `json:"rfilename"`
		} `json:"siblings"`
	}
	// The answer lists every file of the repository; 64 MB is far more than the largest repositories need.
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&info); err != nil {
		return "", nil, fmt.Errorf("GET %s: reading the answer: %w", u, err)
	}
	if !commitRE.MatchString(info.SHA) {
		return "", nil, fmt.Errorf("GET %s answered without a commit hash (\"sha\": %q): is HF_ENDPOINT a "+
			"Hugging Face hub?", u, info.SHA)
	}
	listed = map[string]bool{}
	for _, f := range info.Siblings {
		listed[f.Name] = true
	}
	return info.SHA, listed, nil
}

// requestError shortens net/http's `Get "URL": CAUSE` to `GET URL: CAUSE`, the form of this package's other
// messages. The cause stays wrapped, for errors.Is and errors.As.
func requestError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", strings.ToUpper(ue.Op), ue.URL, ue.Err)
	}
	return err
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

// removeLeftovers undoes what a failed first download leaves in a repository folder that did not exist
// before: empty folders, since huggingface_hub's cache scan reports a repository folder without snapshots as
// corrupt. A partial file (blobs/ETAG.incomplete) stays, to be resumed.
func removeLeftovers(repoDir string) {
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
