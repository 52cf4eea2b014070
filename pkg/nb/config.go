package nb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
)

// ConfigEnv is the environment variable that names the config file the notebooks run on. The headless
// runner (`emotion-probes notebooks run --config C`) sets it to C's absolute path.
const ConfigEnv = env.Config

// DefaultConfig is the config used when ConfigEnv is unset, relative to the notebook's folder: the tiny
// smoke-test config, which runs every stage in minutes on a laptop.
const DefaultConfig = "../config/tiny.yaml"

// ConfigPath returns the config file a notebook runs on, absolute, and where the choice came from: the
// value of $EMOTION_PROBES_CONFIG, or DefaultConfig relative to the notebook's folder ($GONB_DIR, which
// GoNB sets, else the working directory).
func ConfigPath() (path, source string) {
	return configPath(env.Get, mustGetwd())
}

func configPath(getenv func(string) string, cwd string) (path, source string) {
	if p := strings.TrimSpace(getenv(ConfigEnv)); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		return filepath.Clean(p), "$" + ConfigEnv
	}
	dir := getenv(env.GoNBDir)
	if dir == "" {
		dir = cwd
	}
	return filepath.Clean(filepath.Join(dir, DefaultConfig)), "default; set $" + ConfigEnv + " to choose another"
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}

// LoadConfig loads and validates the config that ConfigPath names.
func LoadConfig() (*config.Config, error) {
	path, source := ConfigPath()
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("nb: config %s (%s): %w", path, source, err)
	}
	return cfg, nil
}

// Config loads the notebook's config (see ConfigPath) and prints which file it is (ShowConfig). It
// panics, as a failed cell, if the file is missing or invalid.
func Config() *config.Config {
	cfg := Must1(LoadConfig())
	ShowConfig(cfg)
	return cfg
}

// ShowConfig prints which config file the notebook runs on and why, the run's size, and where its
// outputs go.
func ShowConfig(cfg *config.Config) {
	path, source := ConfigPath()
	fmt.Printf("config: %s (%s)\n", path, source)
	fmt.Printf("run %q: %d emotions x %d topics; outputs in %s\n", cfg.Name, len(cfg.Emotions), len(cfg.Topics), cfg.OutputDir())
}
