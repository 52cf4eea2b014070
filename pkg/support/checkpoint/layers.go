package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Per-layer outputs are named the same way in every stage: a folder (vectors/layer_20/, analysis/layer_20/),
// a file (logit_lens/layer_20.json) or a tensor (layer_20.mean). LayerName is that name, and LayersWith finds
// the layers a stage has written, so no stage spells "layer_" on its own.

// LayerName is the name of one layer's output in every per-layer stage: "layer_20".
func LayerName(layer int) string { return "layer_" + strconv.Itoa(layer) }

// LayersWith lists, in increasing order, the layers L for which dir/layer_L/file exists. A missing dir gives an
// empty list.
func LayersWith(dir, file string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: listing layers in %s: %w", dir, err)
	}
	var out []int
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "layer_")
		if !ok || !e.IsDir() {
			continue
		}
		l, err := strconv.Atoi(rest)
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), file)); err == nil {
			out = append(out, l)
		}
	}
	sort.Ints(out)
	return out, nil
}
