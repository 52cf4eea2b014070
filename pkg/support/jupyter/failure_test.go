package jupyter

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDescribeFailure runs describeFailure on the outputs GoNB v0.11.5 (--raw_error) sent for
// each kind of failure, copied verbatim from runs of the integration tests and probes.
func TestDescribeFailure(t *testing.T) {
	count := func(n int) *int { return &n }
	stderr := func(s string) *Output { return &Output{Type: StreamOutput, Name: "stderr", Text: s} }
	errOut := func(evalue string, tb ...string) *Output {
		return &Output{Type: ErrorOutput, EName: "ERROR", EValue: evalue, Traceback: tb}
	}
	tests := []struct {
		name string
		ex   *Execution
		line int
		msg  string
	}{
		{"compile error", &Execution{ExecutionCount: count(2), Outputs: []*Output{errOut(
			"# gonb_85d8dc6d\n./main.go:13:13: undefined: undefinedVariable\n",
			"# gonb_85d8dc6d",
			"Cell[2]: Line 4\n\tflag.Parse()\nx := 1\nfmt.Println(x)\nfmt.Println(undefinedVariable)\n            ^\n\n}\n\nundefined: undefinedVariable",
			"")}}, 4, "undefined: undefinedVariable"},
		{"two compile errors", &Execution{ExecutionCount: count(2), Outputs: []*Output{errOut(
			"# gonb_4e0375b8\n./main.go:11:1: declared and not used: x\n./main.go:12:13: undefined: y\n",
			"# gonb_4e0375b8",
			"Cell[2]: Line 3\n\nfunc main() {\n\tflag.Parse()\nx := 1\n^\nfmt.Println(y)\n\n\ndeclared and not used: x",
			"Cell[2]: Line 4\nfunc main() {\n\tflag.Parse()\nx := 1\nfmt.Println(y)\n            ^\n\n\n\nundefined: y",
			"")}}, 3, "declared and not used: x\nundefined: y"},
		{"parse error", &Execution{ExecutionCount: count(2), Outputs: []*Output{errOut(
			"/tmp/gonb_cc17e3e9/main.go:3:1: expected declaration, found x",
			"Cell[2]: Line 1\npackage main\n\nx := 1\n^\nfmt.Println(y)\n\n\nexpected declaration, found x")}},
			1, "expected declaration, found x"},
		{"compile error in an earlier cell's function", &Execution{ExecutionCount: count(5), Outputs: []*Output{errOut(
			"# gonb_1\n./main.go:8:9: cannot use \"s\"",
			"Cell[3]: Line 2\n)\n\nfunc f() int {\n\treturn \"s\"\n        ^\n}\n\n\ncannot use \"s\" (untyped string constant) as int value in return statement",
			"")}}, 0, "cannot use \"s\" (untyped string constant) as int value in return statement"},
		{"must.M1 panic", &Execution{ExecutionCount: count(2), Outputs: []*Output{
			{Type: StreamOutput, Name: "stdout", Text: "loading\n"},
			stderr("2026/11/25 19:35:09 Must not error: load failed: file missing\nPanicking ...\n\npanic: load failed: file missing\n\ngoroutine 1 [running]:\n" +
				"github.com/janpfeifer/must.init.func1({0x4e4d18, 0x17b5b0da4040})\n\t/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go:13 +0xbd\n" +
				"github.com/janpfeifer/must.M1[...](...)\n\t/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go:41\nmain.main()\n" +
				"\t \x1b[7m[[ Cell [2] Line 12 ]]\x1b[0m /tmp/gonb_e74fb813/main.go:16 +0xce\nexit status 2\n"),
			errOut("exit status 2", "exit status 2")}}, 12, "panic: load failed: file missing\nexit status 2"},
		{"index panic", &Execution{ExecutionCount: count(3), Outputs: []*Output{
			stderr("panic: runtime error: index out of range [3] with length 0\n\ngoroutine 1 [running]:\nmain.main()\n" +
				"\t \x1b[7m[[ Cell [3] Line 3 ]]\x1b[0m /tmp/gonb_cc17e3e9/main.go:11 +0x52\nexit status 2\n"),
			errOut("exit status 2", "exit status 2")}}, 3, "panic: runtime error: index out of range [3] with length 0\nexit status 2"},
		{"log.Fatalf", &Execution{ExecutionCount: count(1), Outputs: []*Output{
			stderr("2026/11/25 19:35:10 opening input: open /does/not/exist: no such file or directory\nexit status 1\n"),
			errOut("exit status 1", "exit status 1")}}, 0, "2026/11/25 19:35:10 opening input: open /does/not/exist: no such file or directory\nexit status 1"},
		{"os.Exit(1)", &Execution{ExecutionCount: count(5), Outputs: []*Output{
			stderr("failing\nexit status 1\n"), errOut("exit status 1", "exit status 1")}}, 0, "failing\nexit status 1"},
		{"error reply without outputs", &Execution{Status: "error", EName: "ERROR", EValue: "exit status 1"}, 0, "exit status 1"},
		{"timeout", &Execution{TimedOut: true, ExecutionCount: count(7), Outputs: []*Output{
			stderr("signal: interrupt\n"), errOut("signal: interrupt", "signal: interrupt"),
			{Type: ErrorOutput, EName: "Timeout", EValue: "cell timed out after 5s and was interrupted"}}}, 0, "cell timed out after 5s and was interrupted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, msg := describeFailure(tc.ex, "")
			if line != tc.line || msg != tc.msg {
				t.Errorf("describeFailure = (%d, %q), want (%d, %q)", line, msg, tc.line, tc.msg)
			}
		})
	}
}

// TestDescribeFailureBareFrame: GoNB left the panic's frame unmarked (its stderr was read in
// pieces, as in a CI run), so the frame's line of main.go is looked up in the cell's source.
func TestDescribeFailureBareFrame(t *testing.T) {
	cell := "import (\n\t\"errors\"\n\t\"fmt\"\n\n\t\"github.com/janpfeifer/must\"\n)\n\n" +
		"func load() (int, error) { return 0, errors.New(\"load failed: file missing\") }\n\n" +
		"%%\nfmt.Println(\"loading\")\nn := must.M1(load())\nfmt.Println(n)"
	// What GoNB v0.11.5 generated for that cell (lines 1-18; the frame names line 16).
	mainGo := "package main\n\nimport (\n\t\"errors\"\n\t\"flag\"\n\t\"fmt\"\n\n\t\"github.com/janpfeifer/must\"\n)\n\n" +
		"func load() (int, error) { return 0, errors.New(\"load failed: file missing\") }\n\n" +
		"func main() {\n\tflag.Parse()\nfmt.Println(\"loading\")\nn := must.M1(load())\nfmt.Println(n)\n}\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "main.go")
	if err := os.WriteFile(path, []byte(mainGo), 0o644); err != nil {
		t.Fatal(err)
	}
	count := 2
	ex := &Execution{ExecutionCount: &count, Outputs: []*Output{
		{Type: StreamOutput, Name: "stderr", Text: "panic: load failed: file missing\n\ngoroutine 1 [running]:\n" +
			"github.com/janpfeifer/must.M1[...](...)\n\t/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go:41\n" +
			"main.main()\n\t" + path + ":16 +0xce\nexit status 2\n"},
		{Type: ErrorOutput, EName: "ERROR", EValue: "exit status 2", Traceback: []string{"exit status 2"}},
	}}
	for _, tc := range []struct {
		name, source string
		line         int
	}{
		{"the cell holds the line", cell, 12},
		{"the line is not in the cell", "%%\nfmt.Println(1)", 0},
		{"the line is in the cell twice", "%%\nn := must.M1(load())\nn := must.M1(load())", 0},
	} {
		line, msg := describeFailure(ex, tc.source)
		if line != tc.line || msg != "panic: load failed: file missing\nexit status 2" {
			t.Errorf("%s: describeFailure = (%d, %q), want line %d", tc.name, line, msg, tc.line)
		}
	}
	os.Remove(path)
	if line, _ := describeFailure(ex, cell); line != 0 {
		t.Errorf("main.go gone: line %d, want 0", line)
	}
}
