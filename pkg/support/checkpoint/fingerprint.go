package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// Fingerprint records what made a stage's results: every input that, if changed, would change them. Keys
// are short snake_case names, values their text form, for example
//
//	Fingerprint{"model_sha256": "9f86d0...", "layers": "6,12", "prompt": "v2", "upstream_stories": "<hash>"}
//
// Strings only, so that the comparison is exact and the manifest reads well: format numbers with
// strconv (or fmt %v) once, in one place.
type Fingerprint map[string]string

// Hash returns the hex SHA-256 of the fingerprint's canonical JSON: an object with its keys sorted, no
// spaces (encoding/json sorts map keys). Equal fingerprints give equal hashes whatever the insertion order;
// a nil and an empty Fingerprint both hash "{}".
func (f Fingerprint) Hash() string {
	m := map[string]string(f)
	if m == nil {
		m = map[string]string{}
	}
	data, err := json.Marshal(m)
	if err != nil { // cannot happen for map[string]string
		panic("checkpoint: marshal fingerprint: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Diff is one key on which two fingerprints differ. OldSet/NewSet are false where the key is absent on
// that side.
type Diff struct {
	Key            string
	Old, New       string
	OldSet, NewSet bool
}

// Compare lists the keys on which old and new differ, sorted by key; nil when they are equal.
func Compare(old, new Fingerprint) []Diff {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var diffs []Diff
	for _, k := range sorted {
		o, oOK := old[k]
		n, nOK := new[k]
		if o != n || oOK != nOK {
			diffs = append(diffs, Diff{Key: k, Old: o, New: n, OldSet: oOK, NewSet: nOK})
		}
	}
	return diffs
}
