// Command nbgen writes the project's notebooks (notebooks/NN-name.ipynb) from their literate sources
// (notebooks/src/NN-name.md), so that the notebooks are reviewed and diffed as plain Markdown and Go.
//
//	go run ./internal/nbgen           # regenerate every notebook whose source changed
//	go run ./internal/nbgen -check    # exit 1 if a notebook differs from its source (CI)
//
// # The source format
//
// A source is Markdown. Each fenced block opened with ```go becomes a code cell (its body, verbatim);
// the Markdown between code cells becomes one markdown cell, or several where a line holds only
// "<!-- cell -->". Other fences (```text, ```yaml) stay inside the Markdown. Empty cells are dropped. A
// list item wrapped over several indented lines is joined into one line.
//
// A line "<!-- needs: 03 04 -->" names the notebooks whose outputs this one reads ("<!-- needs: -->":
// none). It goes into the notebook's metadata (jupyter.Notebook.Needs), where the headless runner finds
// which notebooks may run side by side; a notebook without it runs after all those before it.
//
// The notebooks are written without outputs, in nbformat 4.5 (package jupyter's writer, which formats
// as Jupyter does), with the GoNB kernelspec and cell ids derived from the file name and position
// ("03-c05"), so regenerating an unchanged source gives the same bytes.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/jupyter"
)

// CellBreak splits Markdown into separate cells.
const CellBreak = "<!-- cell -->"

// needsRe matches the line that lists the notebooks a notebook needs.
var needsRe = regexp.MustCompile(`^<!--\s*needs:(.*?)-->$`)

func main() {
	src := flag.String("src", "notebooks/src", "folder of NN-name.md sources")
	out := flag.String("out", "notebooks", "folder the .ipynb files go to")
	check := flag.Bool("check", false, "only check that every notebook matches its source; exit 1 if not")
	flag.Parse()
	if err := run(*src, *out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "nbgen:", err)
		os.Exit(1)
	}
}

func run(srcDir, outDir string, check bool) error {
	paths, err := filepath.Glob(filepath.Join(srcDir, "[0-9][0-9]-*.md"))
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("no NN-name.md sources in %s (run from the repository root, or pass -src)", srcDir)
	}
	sort.Strings(paths)
	var stale []string
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(p), ".md")
		nb, err := Convert(name, string(text))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		want, err := nb.Marshal()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		target := filepath.Join(outDir, name+".ipynb")
		have, _ := os.ReadFile(target)
		if bytes.Equal(have, want) {
			continue
		}
		if check {
			stale = append(stale, target)
			continue
		}
		if err := os.WriteFile(target, want, 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote %s (%d cells)\n", target, len(nb.Cells))
	}
	if len(stale) > 0 {
		return fmt.Errorf("%s differ from their sources in %s: run `go run ./internal/nbgen`", strings.Join(stale, ", "), srcDir)
	}
	return nil
}

// Convert turns one literate source into a notebook without outputs. name (e.g. "03-activations") seeds
// the cell ids.
func Convert(name, src string) (*jupyter.Notebook, error) {
	nb := &jupyter.Notebook{
		NBFormat: 4, NBFormatMinor: 5,
		Metadata: map[string]any{
			"kernelspec": map[string]any{"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
			"language_info": map[string]any{
				"codemirror_mode": "", "file_extension": ".go", "mimetype": "text/x-go", "name": "go",
				"nbconvert_exporter": "", "pygments_lexer": "go", "version": "go1.26",
			},
		},
	}
	prefix := name
	if len(prefix) > 2 {
		prefix = prefix[:2]
	}
	add := func(typ, text string) {
		text = strings.Trim(text, "\n")
		if typ == jupyter.MarkdownCell {
			text = joinListItems(text)
		}
		if strings.TrimSpace(text) == "" {
			return
		}
		c := &jupyter.Cell{ID: fmt.Sprintf("%s-c%02d", prefix, len(nb.Cells)), Type: typ, Source: text,
			Metadata: map[string]any{}}
		nb.Cells = append(nb.Cells, c)
	}
	var md, code strings.Builder
	inGo, inOther := false, false // inside a ```go fence; inside another fence (kept in the Markdown)
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case inGo:
			if trimmed == "```" {
				add(jupyter.CodeCell, code.String())
				code.Reset()
				inGo = false
				continue
			}
			code.WriteString(line + "\n")
		case !inOther && (trimmed == "```go" || strings.HasPrefix(trimmed, "```go ")):
			add(jupyter.MarkdownCell, md.String())
			md.Reset()
			inGo = true
		case !inOther && trimmed == CellBreak:
			add(jupyter.MarkdownCell, md.String())
			md.Reset()
		case !inOther && needsRe.MatchString(trimmed):
			if _, said := nb.Needs(); said {
				return nil, fmt.Errorf("more than one <!-- needs: --> line")
			}
			nb.SetNeeds(strings.Fields(needsRe.FindStringSubmatch(trimmed)[1]))
		default:
			if inOther {
				inOther = trimmed != "```" // only a bare fence closes one
			} else if strings.HasPrefix(trimmed, "```") {
				inOther = true
			}
			md.WriteString(line + "\n")
		}
	}
	if inGo {
		return nil, fmt.Errorf("a ```go fence is never closed")
	}
	if inOther {
		return nil, fmt.Errorf("a ``` fence is never closed")
	}
	add(jupyter.MarkdownCell, md.String())
	return nb, nil
}

// listItemRe matches the first line of a Markdown list item.
var listItemRe = regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s`)

// joinListItems puts each list item of md on one line: a line indented under an item continues it. The
// sources wrap long items for reading; Jupyter renders either form the same, but simpler Markdown renderers
// (the HTML of package jupyter, some previews) take each line as an item of its own.
func joinListItems(md string) string {
	var out []string
	inItem, inFence := false, false
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inFence = !inFence
			inItem = false
		}
		switch {
		case inFence:
		case listItemRe.MatchString(line):
			inItem = true
		case inItem && trimmed != "" && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")):
			out[len(out)-1] += " " + trimmed
			continue
		default:
			inItem = false
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
