package lm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, always available
)

// DefaultBackend is the pure-Go CPU backend, built with GOEXPERIMENT=simd for speed.
const DefaultBackend = "go"

// NewBackend starts the named GoMLX backend: "go" (pure Go, CPU), or "xla:cpu", "xla:cuda",
// "xla:/abs/path/pjrt_c_api_NAME_plugin.so" (XLA through a PJRT plugin). A backend that cannot
// start is an error, never a silent fallback to another one.
func NewBackend(name string) (compute.Backend, error) {
	if name == "" {
		name = DefaultBackend
	}
	if strings.HasPrefix(name, "xla") && !xlaCompiledIn {
		return nil, fmt.Errorf("lm: backend %q: this binary was built with -tags noxla; rebuild without it to use XLA", name)
	}
	kind, _, _ := strings.Cut(name, ":")
	if !slices.Contains(compute.List(), kind) {
		return nil, fmt.Errorf("lm: backend %q is unknown; use \"go\" (CPU) or \"xla:cpu\", \"xla:cuda\", \"xla:/path/to/plugin.so\"", name)
	}
	b, err := compute.NewWithConfig(name)
	if err != nil {
		hint := ""
		if strings.HasPrefix(name, "xla") {
			hint = " (XLA needs a PJRT plugin: set PJRT_PLUGIN_LIBRARY_PATH to the folder holding " +
				"pjrt_c_api_<name>_plugin.so, or give its absolute path as xla:/path/plugin.so; see README, GPU section)"
		}
		return nil, fmt.Errorf("lm: starting backend %q: %w%s; available: %v", name, err, hint, compute.List())
	}
	return b, nil
}
