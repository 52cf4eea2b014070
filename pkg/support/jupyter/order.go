package jupyter

import (
	"fmt"
	"path/filepath"
	"strings"
)

// MetadataKey holds this project's entries in a notebook's metadata: {"emotion_probes": {"needs": [...]}}.
const MetadataKey = "emotion_probes"

// Needs returns the notebooks nb must run after, as its metadata lists them (notebook names such as
// "04-vectors", or their number "04"), and whether the metadata says at all: a notebook that does not is
// taken to need every notebook before it.
func (nb *Notebook) Needs() (needs []string, declared bool) {
	m, _ := nb.Metadata[MetadataKey].(map[string]any)
	list, ok := m["needs"].([]any)
	if !ok {
		return nil, false
	}
	for _, v := range list {
		if s, ok := v.(string); ok {
			needs = append(needs, s)
		}
	}
	return needs, true
}

// SetNeeds records in nb's metadata the notebooks it must run after (none: it can run first).
func (nb *Notebook) SetNeeds(needs []string) {
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	m, _ := nb.Metadata[MetadataKey].(map[string]any)
	if m == nil {
		m = map[string]any{}
		nb.Metadata[MetadataKey] = m
	}
	list := make([]any, len(needs))
	for i, n := range needs {
		list[i] = n
	}
	m["needs"] = list
}

// NotebookName is a notebook's name, as progress lines and error messages give it: its file name
// without the extension.
func NotebookName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// dependencies says, for each of the notebooks nbs read from paths (in run order), the indices of those
// it must wait for. A listed need names a notebook or its number ("04" matches "04-vectors"); one that is
// not among paths counts as done (a run resumed with --from), one that comes later in the order is an
// error. A notebook whose metadata says nothing waits for every notebook before it.
func dependencies(paths []string, nbs []*Notebook) ([][]int, error) {
	deps := make([][]int, len(paths))
	for i, path := range paths {
		needs, declared := nbs[i].Needs()
		if !declared {
			for j := range i {
				deps[i] = append(deps[i], j)
			}
			continue
		}
		for _, need := range needs {
			for j, other := range paths {
				if name := NotebookName(other); name != need && !strings.HasPrefix(name, need+"-") {
					continue
				}
				if j >= i {
					return nil, fmt.Errorf("notebook %s: its metadata (%s.needs) names %s, which runs after it: "+
						"list only notebooks that come before it", path, MetadataKey, NotebookName(other))
				}
				deps[i] = append(deps[i], j)
			}
		}
	}
	return deps, nil
}
