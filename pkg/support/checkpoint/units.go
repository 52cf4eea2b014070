package checkpoint

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// ReadUnits decodes every JSON unit file that pattern (a filepath.Glob pattern inside a stage
// folder) matches, in sorted path order. It skips the stage's own files (manifest.json,
// complete.json) and the hidden temp files a killed write may leave behind.
func ReadUnits[T any](pattern string) ([]T, error) {
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: listing %s: %w", pattern, err)
	}
	sort.Strings(paths)
	units := make([]T, 0, len(paths))
	for _, p := range paths {
		base := filepath.Base(p)
		if strings.HasPrefix(base, ".") || base == ManifestFile || base == CompleteFile {
			continue
		}
		var u T
		if err := ReadJSON(p, &u); err != nil {
			return nil, err
		}
		units = append(units, u)
	}
	return units, nil
}
