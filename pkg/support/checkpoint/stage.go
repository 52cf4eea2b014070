package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// File names inside a stage's folder.
const (
	ManifestFile = "manifest.json" // written by OpenStage
	CompleteFile = "complete.json" // written by Stage.MarkComplete
)

// Manifest is the content of <stage>/manifest.json: what made the outputs in that folder.
type Manifest struct {
	Stage       string      `json:"stage"`
	Fingerprint Fingerprint `json:"fingerprint"`
	Created     time.Time   `json:"created"`
	Tool        string      `json:"tool"` // module path and version (and VCS revision) of the program
}

// completion is the content of <stage>/complete.json.
type completion struct {
	Stage           string          `json:"stage"`
	FingerprintHash string          `json:"fingerprint_hash"`
	Completed       time.Time       `json:"completed"`
	Summary         json.RawMessage `json:"summary,omitempty"`
}

// Stage is one stage's output folder, opened for a given Fingerprint. Its methods are safe for concurrent
// use: units are separate files, each written atomically.
type Stage struct {
	dir      string // OUTPUT/<stage>
	name     string
	manifest Manifest
}

// OpenStage opens (creating it if needed) the folder dir/stage for results made with fingerprint fp:
//
//   - no manifest.json yet: the folder is new (or was emptied); the manifest is written, atomically;
//   - a manifest with an equal fingerprint: the run resumes; units already written count as done;
//   - a manifest with another fingerprint: a *MismatchError listing each differing key;
//   - force: the stage's folder (only dir/stage, never dir or another stage) is emptied first, then the
//     manifest is written.
//
// A folder that holds files but no manifest is refused too (those files' origin is unknown), as is a
// manifest that does not decode (*CorruptError); both are cleared by force.
func OpenStage(dir, stage string, fp Fingerprint, force bool) (*Stage, error) {
	if err := checkStageName(stage); err != nil {
		return nil, err
	}
	sdir := filepath.Join(dir, stage)
	if force {
		if err := os.RemoveAll(sdir); err != nil {
			return nil, fmt.Errorf("checkpoint: --force: remove the outputs of stage %q in %s: %w", stage, sdir, err)
		}
	}
	if err := mkdirAll(sdir, 0o755); err != nil {
		if hint := DiskHint(dir, err); hint != "" {
			return nil, fmt.Errorf("checkpoint: stage %q: create %s: %w: %s", stage, sdir, err, hint)
		}
		return nil, fmt.Errorf("checkpoint: stage %q: create %s: %w", stage, sdir, err)
	}
	if fp == nil {
		fp = Fingerprint{}
	}
	st := &Stage{dir: sdir, name: stage}
	mpath := filepath.Join(sdir, ManifestFile)
	var old Manifest
	err := ReadJSON(mpath, &old)
	name, hasOutputs := "", false
	if errors.Is(err, fs.ErrNotExist) {
		if name, hasOutputs = firstOutput(sdir); hasOutputs {
			// Another worker of the same run may have opened the stage since the first look. It writes its
			// manifest before any output, so a second look finds the manifest if the outputs are its own.
			err = ReadJSON(mpath, &old)
		}
	}
	switch {
	case err == nil:
		if diffs := Compare(old.Fingerprint, fp); len(diffs) > 0 {
			return nil, &MismatchError{Dir: sdir, Stage: stage, Diffs: diffs}
		}
		st.manifest = old
		return st, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err // *CorruptError or unreadable: its message says what to do
	}
	if hasOutputs {
		return nil, fmt.Errorf("checkpoint: stage %q: %s holds outputs (%s) but no %s, so what made them is unknown: "+
			"rerun with --force to discard them and start over, or set output.dir to another folder",
			stage, sdir, name, ManifestFile)
	}
	st.manifest = Manifest{Stage: stage, Fingerprint: fp, Created: time.Now().UTC(), Tool: toolVersion()}
	if err := WriteJSON(mpath, st.manifest); err != nil {
		return nil, err
	}
	return st, nil
}

func checkStageName(stage string) error {
	if stage == "" || stage == "." || stage == ".." || strings.ContainsAny(stage, `/\`) || !filepath.IsLocal(stage) {
		return fmt.Errorf("checkpoint: stage name %q must be a single folder name, such as \"stories\"", stage)
	}
	return nil
}

// firstOutput returns the name of an entry of dir that is not a leftover temp file.
func firstOutput(dir string) (string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if !isTemp(e.Name()) {
			return e.Name(), true
		}
	}
	return "", false
}

// isTemp reports whether name is one of WriteFileAtomic's temp files (".<base>.tmp-<random>").
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// toolVersion names the running program for the manifest, from its build information.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Path
	if v == "" {
		v = bi.Path
	}
	if bi.Main.Version != "" {
		v += "@" + bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			v += " (" + s.Value + ")"
		}
	}
	return v
}

// Dir returns the stage's folder, dir/stage.
func (s *Stage) Dir() string { return s.dir }

// Name returns the stage's name.
func (s *Stage) Name() string { return s.name }

// Manifest returns the stage's manifest (as found on disk when resuming).
func (s *Stage) Manifest() Manifest { return s.manifest }

// Path joins parts below the stage's folder: s.Path("stories", "afraid", "1a2b.json").
// Parts may themselves hold slashes ("stories/afraid/1a2b.json").
func (s *Stage) Path(parts ...string) string {
	return filepath.Join(append([]string{s.dir}, parts...)...)
}

// Done reports whether the unit (a path relative to the stage's folder, with / separators) is complete:
// its file exists and passes Verify. A damaged unit is therefore redone, not reused.
func (s *Stage) Done(unit string) bool {
	return s.Verify(unit) == nil
}

// Verify checks a unit's file cheaply, without decoding all of it: it must be a regular file; a .json unit
// must decode; a .safetensors unit must have a well-formed header whose tensors end exactly at the end of
// the file (which catches a file cut short or replaced by other bytes). Other units only need to exist.
// A missing unit gives an error wrapping fs.ErrNotExist, a damaged one a *CorruptError, so that a caller
// can tell "not yet computed" from "computed, then damaged" and say so before recomputing it.
func (s *Stage) Verify(unit string) error {
	p := s.Path(filepath.FromSlash(unit))
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("checkpoint: unit %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return &CorruptError{Path: p, Err: errors.New("not a regular file")}
	}
	switch strings.ToLower(filepath.Ext(p)) {
	case ".json":
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("checkpoint: unit %s: %w", p, err)
		}
		if err := decodeJSON(data, new(json.RawMessage)); err != nil {
			return &CorruptError{Path: p, Err: err}
		}
	case ".safetensors":
		if err := checkSafetensors(p, fi.Size()); err != nil {
			return &CorruptError{Path: p, Err: err}
		}
	}
	return nil
}

// WriteFile writes a unit's file atomically (see WriteFileAtomic).
func (s *Stage) WriteFile(unit string, data []byte) error {
	return WriteFileAtomic(s.Path(filepath.FromSlash(unit)), data)
}

// WriteJSON writes a unit as indented JSON, atomically.
func (s *Stage) WriteJSON(unit string, v any) error {
	return WriteJSON(s.Path(filepath.FromSlash(unit)), v)
}

// ReadJSON decodes a unit written by WriteJSON (errors as for the package's ReadJSON).
func (s *Stage) ReadJSON(unit string, v any) error {
	return ReadJSON(s.Path(filepath.FromSlash(unit)), v)
}

// Unmark removes complete.json, if any: a stage about to get new units (a rerun after more emotions, a
// resumed shard) is no longer complete, and a reader must not take the old summary for the whole stage.
func (s *Stage) Unmark() error {
	if err := os.Remove(s.Path(CompleteFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checkpoint: stage %q: %w", s.name, err)
	}
	return nil
}

// MarkComplete records that the stage finished, writing complete.json with the summary (any value that
// encodes as JSON: counts, timings, file lists) and the fingerprint's hash. Call it last, after every unit.
func (s *Stage) MarkComplete(summary any) error {
	c := completion{Stage: s.name, FingerprintHash: s.manifest.Fingerprint.Hash(), Completed: time.Now().UTC()}
	if summary != nil {
		raw, err := json.Marshal(summary)
		if err != nil {
			return fmt.Errorf("checkpoint: stage %q: encode the completion summary: %w", s.name, err)
		}
		c.Summary = raw
	}
	return WriteJSON(s.Path(CompleteFile), c)
}

// Complete reports whether MarkComplete has run for this stage and this fingerprint.
func (s *Stage) Complete() bool {
	var c completion
	if err := ReadJSON(s.Path(CompleteFile), &c); err != nil {
		return false
	}
	return c.FingerprintHash == s.manifest.Fingerprint.Hash()
}

// Summary decodes the summary stored by MarkComplete into v.
func (s *Stage) Summary(v any) error {
	return readSummary(s.dir, s.name, v)
}

func readSummary(sdir, stage string, v any) error {
	var c completion
	p := filepath.Join(sdir, CompleteFile)
	if err := ReadJSON(p, &c); err != nil {
		return err
	}
	if len(c.Summary) == 0 {
		return fmt.Errorf("checkpoint: stage %q: %s holds no summary", stage, p)
	}
	if err := json.Unmarshal(c.Summary, v); err != nil {
		return &CorruptError{Path: p, Err: err}
	}
	return nil
}

// ErrIncomplete is wrapped by Require's error when a stage has not been run, or was interrupted.
var ErrIncomplete = errors.New("stage incomplete")

// Require checks that stage was run to completion in dir (its manifest and complete.json exist, decode and
// agree), so that a later stage can rely on its outputs. command is the CLI subcommand that runs it; the
// error says "stage X has not been run (or is incomplete) in DIR: run `emotion-probes <command>` first".
// A damaged file gives its *CorruptError instead.
func Require(dir, stage, command string) error {
	if err := checkStageName(stage); err != nil {
		return err
	}
	m, err := ReadManifest(dir, stage)
	if err == nil {
		var c completion
		err = ReadJSON(filepath.Join(dir, stage, CompleteFile), &c)
		if err == nil {
			if c.FingerprintHash == m.Fingerprint.Hash() {
				return nil
			}
			err = fs.ErrNotExist // complete.json from an earlier fingerprint: treat as not run
		}
	}
	var ce *CorruptError
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("checkpoint: stage %s has not been run (or is incomplete) in %s: run `emotion-probes %s` first: %w",
		stage, dir, command, ErrIncomplete)
}

// ReadManifest reads dir/stage/manifest.json. A later stage puts the returned Fingerprint's Hash into its
// own Fingerprint, so that its outputs are tied to the exact outputs they were computed from.
func ReadManifest(dir, stage string) (Manifest, error) {
	var m Manifest
	if err := checkStageName(stage); err != nil {
		return m, err
	}
	err := ReadJSON(filepath.Join(dir, stage, ManifestFile), &m)
	return m, err
}

// MismatchError is returned by OpenStage when the stage's folder holds outputs made with another
// Fingerprint.
type MismatchError struct {
	Dir   string // the stage's folder
	Stage string
	Diffs []Diff // sorted by key
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checkpoint: stage %q: the outputs in %s were made with different settings (", e.Stage, e.Dir)
	for i, d := range e.Diffs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: was %s, now %s", d.Key, quoteOrUnset(d.Old, d.OldSet), quoteOrUnset(d.New, d.NewSet))
	}
	b.WriteString("); rerun with --force to discard them and start over, or set output.dir to another folder")
	return b.String()
}

func quoteOrUnset(v string, set bool) string {
	if !set {
		return "(unset)"
	}
	return strconv.Quote(v)
}
