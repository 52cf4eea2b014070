package jupyter

import (
	"fmt"
	"strings"
	"testing"
)

func TestMarkdownToHTML(t *testing.T) {
	tests := []struct{ name, md, want string }{
		{"heading and paragraph", "# Title\n\nSome text\nwrapped.", "<h1>Title</h1>\n<p>Some text\nwrapped.</p>\n"},
		{"inline", "a `x < y` **bold** *it* [link](http://e.org)", "<p>a <code>x &lt; y</code> <strong>bold</strong> <em>it</em> <a href=\"http://e.org\">link</a></p>\n"},
		{"lists", "- one\n- two\n\n1. first\n2. second", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"},
		{"fenced code", "```go\nx := a < b\n```\nafter", "<pre><code>x := a &lt; b</code></pre>\n<p>after</p>\n"},
		{"html escaped", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"list then paragraph", "- a\nnext", "<ul>\n<li>a</li>\n</ul>\n<p>next</p>\n"},
	}
	for _, tc := range tests {
		if got := markdownToHTML(tc.md); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRenderHTMLOutputs checks each output kind is shown by its richest MIME type.
func TestRenderHTMLOutputs(t *testing.T) {
	n := 3
	nb := &Notebook{Cells: []*Cell{{Type: CodeCell, Source: `fmt.Println("<x>")`, ExecutionCount: &n, Outputs: []*Output{
		{Type: StreamOutput, Name: "stdout", Text: "\x1b[7m<x>\x1b[0m\n"},
		{Type: DisplayDataOutput, Data: map[string]any{"text/html": `<iframe srcdoc="&lt;p&gt;"></iframe>`, "text/plain": "ignored"}},
		{Type: DisplayDataOutput, Data: map[string]any{"image/png": "iVBORw0KGgo=", "text/plain": "ignored"}},
		{Type: ExecuteResultOutput, Data: map[string]any{"text/plain": "1 < 2"}},
		{Type: ErrorOutput, EName: "ERROR", EValue: "exit status 1", Traceback: []string{"exit status 1"}},
	}}}}
	got := string(RenderHTML(nb, "t"))
	for _, want := range []string{
		"In [3]:", `fmt.Println(&#34;&lt;x&gt;&#34;)`, `<pre class="stdout">&lt;x&gt;` + "\n</pre>",
		`<iframe srcdoc="&lt;p&gt;"></iframe>`, `<img src="data:image/png;base64,iVBORw0KGgo=">`,
		"<pre>1 &lt; 2</pre>", `<pre class="error">exit status 1</pre>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("RenderHTML lacks %q", want)
		}
	}
	if strings.Contains(got, "ignored") {
		t.Errorf("RenderHTML showed text/plain next to a richer type")
	}
}

func ExampleCellError() {
	err := &CellError{Notebook: "notebooks/01-stories.ipynb", Cell: 3, Index: 5, Line: 4,
		Message: "undefined: undefinedVariable"}
	fmt.Println(err)
	// Output:
	// notebook notebooks/01-stories.ipynb: code cell 3 (cell #6), line 4: undefined: undefinedVariable
}

func ExampleParse() {
	nb, err := Parse([]byte(`{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {},
	  "outputs": [], "source": ["%%\n", "fmt.Println(1)"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}`))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d cell, source %q\n", len(nb.Cells), nb.Cells[0].Source)
	// Output:
	// 1 cell, source "%%\nfmt.Println(1)"
}
