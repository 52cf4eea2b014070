package jupyter

import (
	"os"
	"regexp"
	"strconv"
	"strings"
)

// GoNB (v0.11.5, --raw_error) reports a failing cell in one of these forms; tests hold the
// exact texts seen (testdata/*.ipynb, TestRunFailures):
//
//   - compile error: an error output whose traceback has one entry per compiler message,
//     "Cell[7]: Line 4\n<source context with a ^ marker>\n\n\nundefined: y", where 7 is the
//     execution count and 4 the 1-based line within that cell; evalue has the raw compiler
//     output ("./main.go:12:13: undefined: y"), in lines of GoNB's generated main.go.
//   - panic (including must.M): stderr gets the Go panic and stack trace, in which GoNB marks
//     frames in cell code as "[[ Cell [7] Line 3 ]] /tmp/gonb_x/main.go:12"; the error output
//     is just "exit status 2". GoNB marks a frame only when "main.go:12" arrives in one read of
//     the program's stderr; on a busy machine the runtime's small writes are sometimes read
//     apart and the frame stays bare (seen in CI), so a bare frame is mapped here instead: the
//     line of GoNB's main.go it names is looked up in the cell's source (cellLineOf).
//   - log.Fatal / os.Exit(1): whatever the program wrote to stderr, then the error output
//     "exit status 1"; no line number.
//   - interrupt: "signal: interrupt".
var (
	compileLineRE = regexp.MustCompile(`^Cell\[(\d+)\]: Line (\d+)`)
	panicLineRE   = regexp.MustCompile(`\[\[ Cell \[(\d+)\] Line (\d+) \]\]`)
	bareFrameRE   = regexp.MustCompile(`^\s*(/\S*/main\.go):(\d+)\b`)
	ansiRE        = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")
)

// describeFailure extracts the failing line (1-based within the cell, 0 if unknown) and a short
// message from a failed execution of source.
func describeFailure(ex *Execution, source string) (line int, msg string) {
	count := -1
	if ex.ExecutionCount != nil {
		count = *ex.ExecutionCount
	}
	// sameCell reports whether a "Cell [n]" reference names this cell: GoNB keeps declarations
	// of earlier cells, whose errors name those cells' lines instead.
	sameCell := func(n string) bool { v, _ := strconv.Atoi(n); return count < 0 || v == count }

	var stderr string
	var errOut *Output
	for _, o := range ex.Outputs {
		switch {
		case o.Type == StreamOutput && o.Name == "stderr":
			stderr += o.Text
		case o.Type == ErrorOutput && errOut == nil:
			errOut = o
		}
	}
	if ex.TimedOut {
		for _, o := range ex.Outputs {
			if o.Type == ErrorOutput && o.EName == "Timeout" {
				return 0, o.EValue
			}
		}
	}
	evalue, traceback := ex.EValue, ex.Traceback
	if errOut != nil {
		evalue, traceback = errOut.EValue, errOut.Traceback
	}

	// Compile errors: one traceback entry per message, each naming its cell line.
	var msgs []string
	for _, entry := range traceback {
		entry = ansiRE.ReplaceAllString(entry, "")
		m := compileLineRE.FindStringSubmatch(entry)
		if m == nil {
			continue
		}
		if l, _ := strconv.Atoi(m[2]); line == 0 && sameCell(m[1]) {
			line = l
		}
		msgs = append(msgs, lastLine(entry))
	}
	if len(msgs) > 0 {
		return line, strings.Join(msgs, "\n")
	}

	// A program that ran and failed: its stderr says why.
	stderr = ansiRE.ReplaceAllString(stderr, "")
	var tail []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimRight(l, " \t\r")
		if l == "" || l == strings.TrimSpace(evalue) {
			continue
		}
		tail = append(tail, l)
	}
	if i := indexPrefix(tail, "panic: "); i >= 0 {
		for _, l := range tail[i:] {
			if m := panicLineRE.FindStringSubmatch(l); m != nil && sameCell(m[1]) {
				line, _ = strconv.Atoi(m[2])
				break
			}
		}
		for _, l := range tail[i:] {
			if line != 0 {
				break
			}
			if m := bareFrameRE.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[2])
				line = cellLineOf(source, m[1], n)
			}
		}
		return line, joinNonEmpty(tail[i], strings.TrimSpace(evalue))
	}
	if len(tail) > 3 {
		tail = tail[len(tail)-3:]
	}
	return 0, joinNonEmpty(strings.Join(tail, "\n"), strings.TrimSpace(evalue))
}

// cellLineOf returns the 1-based line of source that holds line n of GoNB's generated file, or 0
// when that line is not in source exactly once (it may come from an earlier cell's declarations).
// GoNB leaves the file in place until the next cell runs, and the runner runs nothing after a
// failure.
func cellLineOf(source, mainGo string, n int) int {
	b, err := os.ReadFile(mainGo)
	if err != nil {
		return 0
	}
	generated := strings.Split(string(b), "\n")
	if n < 1 || n > len(generated) {
		return 0
	}
	want := strings.TrimSpace(generated[n-1])
	if want == "" {
		return 0
	}
	line := 0
	for i, l := range strings.Split(source, "\n") {
		if strings.TrimSpace(l) == want {
			if line != 0 {
				return 0
			}
			line = i + 1
		}
	}
	return line
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// indexPrefix returns the index of the first line starting with prefix, or -1.
func indexPrefix(lines []string, prefix string) int {
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return i
		}
	}
	return -1
}

// joinNonEmpty joins the non-empty strings with newlines.
func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}
