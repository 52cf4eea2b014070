package lm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, always available
)

// DefaultBackend is the pure-Go CPU backend, built with GOEXPERIMENT=simd for speed.
const DefaultBackend = "go"

// AutoBackend is the backend name that picks the fastest backend installed: see ResolveBackend.
const AutoBackend = "auto"

// CPUPluginFile is the file name under which kernel-setup/xla-cpu.sh installs XLA's CPU PJRT
// plugin (from the PyPI wheel xla-cpu-pjrt).
const CPUPluginFile = "pjrt_c_api_cpu_plugin.so"

// ResolveBackend turns "auto" into a concrete backend: XLA on the CPU through the first of
// pluginDirs holding CPUPluginFile (measured about 5x faster for reading texts and 2x for
// generating than the pure-Go backend on a 2-core AVX2 machine: see BENCHMARKS.md), else "go".
// Other names are returned as they are.
func ResolveBackend(name string, pluginDirs ...string) string {
	if name != AutoBackend {
		return name
	}
	if xlaCompiledIn {
		for _, dir := range pluginDirs {
			p := filepath.Join(dir, CPUPluginFile)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				if abs, err := filepath.Abs(p); err == nil {
					return "xla:" + abs
				}
			}
		}
	}
	return DefaultBackend
}

// NewBackend starts the named GoMLX backend: "go" (pure Go, CPU), or "xla:cpu", "xla:cuda",
// "xla:/abs/path/pjrt_c_api_NAME_plugin.so" (XLA through a PJRT plugin). A backend that cannot
// start is an error, never a silent fallback to another one.
func NewBackend(name string) (compute.Backend, error) {
	if name == "" || name == AutoBackend {
		return nil, fmt.Errorf("lm: backend %q must be resolved first (ResolveBackend)", name)
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
