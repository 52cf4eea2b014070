package hub

import (
	"os"
	"path/filepath"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
)

// XLAPluginDirs lists the folders where kernel-setup/xla-cpu.sh may have installed XLA's CPU PJRT
// plugin, for lm.ResolveBackend("auto", ...): $EMOTION_PROBES_XLA_DIR, then .cache/xla under
// $EMOTION_PROBES_ROOT (the notebooks' kernel sets it), the working directory and its parent.
func XLAPluginDirs() []string {
	var dirs []string
	if d := env.Get(env.XLADir); d != "" {
		dirs = append(dirs, d)
	}
	if root := env.Get(env.Root); root != "" {
		dirs = append(dirs, filepath.Join(root, ".cache", "xla"))
	}
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, filepath.Join(wd, ".cache", "xla"), filepath.Join(wd, "..", ".cache", "xla"))
	}
	return dirs
}
