package jupyter

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// notebookNeeding writes a notebook of code cells whose metadata lists needs (nil: says nothing).
func notebookNeeding(t *testing.T, dir, name string, needs []string, sources ...string) string {
	t.Helper()
	nb := &Notebook{Cells: []*Cell{{Type: MarkdownCell, Source: "# " + name}}}
	if needs != nil {
		nb.SetNeeds(needs)
	}
	for _, s := range sources {
		nb.Cells = append(nb.Cells, &Cell{Type: CodeCell, Source: s})
	}
	path := filepath.Join(dir, name+".ipynb")
	if err := nb.Write(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll reads the notebooks at paths, as Run does before it starts any.
func readAll(t *testing.T, paths []string) []*Notebook {
	t.Helper()
	nbs := make([]*Notebook, len(paths))
	for i, p := range paths {
		var err error
		if nbs[i], err = Read(p); err != nil {
			t.Fatal(err)
		}
	}
	return nbs
}

func TestDependencies(t *testing.T) {
	dir := t.TempDir()
	paths := []string{
		notebookNeeding(t, dir, "01-stories", []string{}),
		notebookNeeding(t, dir, "02-neutral", []string{}),
		notebookNeeding(t, dir, "03-read", []string{"01", "02-neutral"}),
		notebookNeeding(t, dir, "04-extra", nil),                        // says nothing: after every earlier one
		notebookNeeding(t, dir, "05-report", []string{"03", "00-gone"}), // 00 is not in this run: done before it
	}
	deps, err := dependencies(paths, readAll(t, paths))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{nil, nil, {0, 1}, {0, 1, 2}, {2}}
	if !reflect.DeepEqual(deps, want) {
		t.Errorf("dependencies = %v, want %v", deps, want)
	}
	// Written and read back, the metadata keeps the list.
	nb, err := Read(paths[2])
	if err != nil {
		t.Fatal(err)
	}
	if needs, ok := nb.Needs(); !ok || !reflect.DeepEqual(needs, []string{"01", "02-neutral"}) {
		t.Errorf("Needs() = %v, %v after a round trip", needs, ok)
	}

	later := []string{notebookNeeding(t, dir, "06-early", []string{"07"}), notebookNeeding(t, dir, "07-late", []string{})}
	_, err = dependencies(later, readAll(t, later))
	if err == nil || !strings.Contains(err.Error(), "names 07-late, which runs after it") {
		t.Errorf("a need on a later notebook: error %v", err)
	}
}

// lineIndex is the index of the first progress line containing s, failing the test if none does.
func lineIndex(t *testing.T, lines []string, s string) int {
	t.Helper()
	for i, l := range lines {
		if strings.Contains(l, s) {
			return i
		}
	}
	t.Fatalf("no progress line contains %q:\n%s", s, strings.Join(lines, "\n"))
	return -1
}

// TestFakeKernelRunSideBySide runs three notebooks two at a time: slow and quick need nothing, after
// needs slow. quick must finish while slow still runs, after must start only once slow is done, and
// every progress line must be whole.
func TestFakeKernelRunSideBySide(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	paths := []string{
		notebookNeeding(t, dir, "slow", []string{}, "pause 2500", "print a"),
		notebookNeeding(t, dir, "quick", []string{}, "print b"),
		notebookNeeding(t, dir, "after", []string{"slow"}, "print c"),
	}
	var progress strings.Builder
	err := Run(context.Background(), Options{Notebooks: paths, KernelSpec: fakeSpec(t, ""), OutputDir: out,
		Jobs: 2, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(progress.String(), "\n"), "\n")
	t.Logf("progress:\n%s", progress.String())
	if q, s := lineIndex(t, lines, "[quick] done"), lineIndex(t, lines, "[slow] done"); q > s {
		t.Errorf("quick finished after slow: the two did not run side by side")
	}
	if a, s := lineIndex(t, lines, "[after] starting kernel"), lineIndex(t, lines, "[slow] done"); a < s {
		t.Errorf("after started before slow, which it needs, was done")
	}
	for _, l := range lines {
		if strings.Count(l, "[") != 1 || !strings.HasPrefix(l, "[") {
			t.Errorf("progress line %q is not one notebook's whole line", l)
		}
	}
	lineIndex(t, lines, "[slow] cell 1/2 ...")
	lineIndex(t, lines, "[slow] cell 1/2 ok (")
	for _, name := range []string{"slow", "quick", "after"} {
		nb, err := Read(filepath.Join(out, name+".ipynb"))
		if err != nil {
			t.Fatal(err)
		}
		if last := nb.Cells[len(nb.Cells)-1]; last.ExecutionCount == nil || len(last.Outputs) == 0 {
			t.Errorf("%s: its last cell did not run", name)
		}
	}
}

// TestFakeKernelRunSideBySideFails checks that a failure starts nothing more: the notebook that needs
// the failed one never runs, the one already running beside it finishes, and the error is the failure's.
func TestFakeKernelRunSideBySideFails(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	paths := []string{
		notebookNeeding(t, dir, "fails", []string{}, "fail"),
		notebookNeeding(t, dir, "beside", []string{}, "pause 3000", "print b"),
		notebookNeeding(t, dir, "needs", []string{"fails"}, "print c"),
		notebookNeeding(t, dir, "later", []string{}, "print d"),
	}
	err := Run(context.Background(), Options{Notebooks: paths, KernelSpec: fakeSpec(t, ""), OutputDir: out, Jobs: 2})
	var ce *CellError
	if !errors.As(err, &ce) || ce.Notebook != paths[0] || ce.Cell != 1 {
		t.Fatalf("Run error = %v, want the failing cell of %s", err, paths[0])
	}
	if nb, err := Read(filepath.Join(out, "beside.ipynb")); err != nil || nb.Cells[2].ExecutionCount == nil {
		t.Errorf("the notebook running beside the failure did not finish (%v)", err)
	}
	for _, name := range []string{"needs", "later"} {
		if _, err := os.Stat(filepath.Join(out, name+".ipynb")); !os.IsNotExist(err) {
			t.Errorf("%s ran after the failure (stat: %v)", name, err)
		}
	}
}
