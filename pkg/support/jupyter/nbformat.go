package jupyter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/jsonerr"
)

// Notebook is a Jupyter notebook in nbformat v4 (https://nbformat.readthedocs.io/en/latest/format_description.html).
// Read accepts any 4.x minor version; Write always produces 4.5 (every cell has an id).
type Notebook struct {
	Cells         []*Cell        `json:"cells"`
	Metadata      map[string]any `json:"metadata"`
	NBFormat      int            `json:"nbformat"`
	NBFormatMinor int            `json:"nbformat_minor"`
}

// Cell types of nbformat v4.
const (
	CodeCell     = "code"
	MarkdownCell = "markdown"
	RawCell      = "raw"
)

// Cell is one notebook cell. Source is held as one string; on disk it is a list of lines.
// ExecutionCount and Outputs are meaningful for code cells only; Attachments for markdown and raw.
type Cell struct {
	ID             string
	Type           string
	Source         string
	Metadata       map[string]any
	ExecutionCount *int
	Outputs        []*Output
	Attachments    json.RawMessage
}

// Output types of nbformat v4.
const (
	StreamOutput        = "stream"
	DisplayDataOutput   = "display_data"
	ExecuteResultOutput = "execute_result"
	ErrorOutput         = "error"
)

// Output is one output of a code cell. Which fields are used depends on Type:
//
//	stream:         Name ("stdout"/"stderr"), Text
//	display_data:   Data (MIME type -> value), Metadata
//	execute_result: Data, Metadata, ExecutionCount
//	error:          EName, EValue, Traceback
//
// Text-like MIME values (text/*, image/svg+xml, application/javascript) are held as one string;
// binary ones (image/png) as base64 strings; JSON ones (application/json, */*+json) as decoded JSON.
type Output struct {
	Type           string
	Name           string
	Text           string
	Data           map[string]any
	Metadata       map[string]any
	ExecutionCount *int
	EName          string
	EValue         string
	Traceback      []string
}

// Read reads and parses the notebook at path.
func Read(path string) (*Notebook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notebook: %w", err)
	}
	nb, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("notebook: %s: %w", path, err)
	}
	return nb, nil
}

// Parse parses an nbformat v4 notebook from its JSON text. An error says where: the line and byte of bad
// JSON, or the cell (cells[3], counted from 0 as in the file) and output at fault.
func Parse(b []byte) (*Notebook, error) {
	// The cells are decoded one by one, so that an error can name the cell: json.Unmarshal does not say
	// which element of a list a custom decoder failed on.
	var top struct {
		Cells         []json.RawMessage `json:"cells"`
		Metadata      map[string]any    `json:"metadata"`
		NBFormat      int               `json:"nbformat"`
		NBFormatMinor int               `json:"nbformat_minor"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("not a JSON notebook%s: %w", jsonerr.Where(b, err), err)
	}
	if top.NBFormat != 4 {
		return nil, fmt.Errorf("nbformat %d is not supported: convert it to v4 with `jupyter nbconvert --to notebook`", top.NBFormat)
	}
	nb := &Notebook{Metadata: top.Metadata, NBFormat: top.NBFormat, NBFormatMinor: top.NBFormatMinor}
	if top.Cells != nil {
		nb.Cells = make([]*Cell, len(top.Cells))
	}
	for i, raw := range top.Cells {
		// A null cell would be a nil *Cell, which every reader of Cells would have to check for.
		if string(bytes.TrimSpace(raw)) == "null" {
			return nil, fmt.Errorf("cells[%d] is null, not a cell object", i)
		}
		c := new(Cell)
		if err := json.Unmarshal(raw, c); err != nil {
			return nil, fmt.Errorf("cells[%d]: %w", i, err)
		}
		nb.Cells[i] = c
	}
	return nb, nil
}

// Marshal returns the notebook as Jupyter writes it: keys sorted, one-space indent, multi-line
// strings split into lists of lines, a final newline, and HTML characters left unescaped. Cells
// without an id get a fresh one and the minor version becomes at least 5, so the result is valid
// nbformat 4.5.
func (nb *Notebook) Marshal() ([]byte, error) {
	nb.NBFormat = 4
	if nb.NBFormatMinor < 5 {
		nb.NBFormatMinor = 5
	}
	seen := map[string]bool{}
	for _, c := range nb.Cells {
		if !validCellID.MatchString(c.ID) || seen[c.ID] {
			c.ID = newID()[:8]
		}
		seen[c.ID] = true
	}
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	if nb.Cells == nil {
		nb.Cells = []*Cell{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nb); err != nil {
		return nil, fmt.Errorf("notebook: encoding: %w", err)
	}
	return buf.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, for the custom marshalers: json.Marshal would
// turn "<" into "\u003c" in every HTML output, which is valid but not what Jupyter writes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// validCellID is the nbformat 4.5 rule for cell ids.
var validCellID = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)

// Write writes nb to path atomically: to a temporary file in the same directory, then renamed,
// so a reader never sees a half-written notebook.
func (nb *Notebook) Write(path string) error {
	b, err := nb.Marshal()
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// writeAtomic writes b to path through a temporary file and a rename.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("notebook: writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("notebook: writing %s: %w", path, err)
	}
	return nil
}

// cellJSON is the on-disk form of a Cell; fields are in sorted key order as Jupyter writes them.
type cellJSON struct {
	Attachments    json.RawMessage `json:"attachments,omitempty"`
	CellType       string          `json:"cell_type"`
	ExecutionCount *int            `json:"execution_count,omitempty"`
	ID             string          `json:"id,omitempty"`
	Metadata       map[string]any  `json:"metadata"`
	Outputs        *[]*Output      `json:"outputs,omitempty"`
	Source         multiline       `json:"source"`
}

// MarshalJSON writes the cell in nbformat v4 form. Code cells always carry execution_count
// (null when never run) and outputs.
func (c *Cell) MarshalJSON() ([]byte, error) {
	j := cellJSON{
		Attachments: c.Attachments,
		CellType:    c.Type,
		ID:          c.ID,
		Metadata:    c.Metadata,
		Source:      multiline(c.Source),
	}
	if j.Metadata == nil {
		j.Metadata = map[string]any{}
	}
	if c.Type != CodeCell {
		return marshal(j)
	}
	outputs := c.Outputs
	if outputs == nil {
		outputs = []*Output{}
	}
	j.Outputs = &outputs
	// execution_count must be present even when null, which omitempty cannot express.
	type codeCellJSON struct {
		CellType       string         `json:"cell_type"`
		ExecutionCount *int           `json:"execution_count"`
		ID             string         `json:"id,omitempty"`
		Metadata       map[string]any `json:"metadata"`
		Outputs        []*Output      `json:"outputs"`
		Source         multiline      `json:"source"`
	}
	return marshal(codeCellJSON{c.Type, c.ExecutionCount, c.ID, j.Metadata, outputs, j.Source})
}

// UnmarshalJSON reads a cell in nbformat v4 form.
func (c *Cell) UnmarshalJSON(b []byte) error {
	// Outputs are decoded one by one, as cells are in Parse, so that an error names the output.
	var j struct {
		cellJSON
		Outputs []json.RawMessage `json:"outputs"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("cell: %w", err)
	}
	*c = Cell{ID: j.ID, Type: j.CellType, Source: string(j.Source), Metadata: j.Metadata,
		ExecutionCount: j.ExecutionCount, Attachments: j.Attachments}
	if j.Outputs != nil {
		c.Outputs = make([]*Output, len(j.Outputs))
	}
	for i, raw := range j.Outputs {
		if string(bytes.TrimSpace(raw)) == "null" {
			return fmt.Errorf("outputs[%d] is null, not an output object", i)
		}
		o := new(Output)
		if err := json.Unmarshal(raw, o); err != nil {
			return fmt.Errorf("outputs[%d]: %w", i, err)
		}
		c.Outputs[i] = o
	}
	return nil
}

// outputJSON is the on-disk form of an Output, in sorted key order.
type outputJSON struct {
	Data           map[string]any `json:"data,omitempty"`
	EName          string         `json:"ename,omitempty"`
	EValue         *string        `json:"evalue,omitempty"`
	ExecutionCount *int           `json:"execution_count,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	Name           string         `json:"name,omitempty"`
	OutputType     string         `json:"output_type"`
	Text           *multiline     `json:"text,omitempty"`
	Traceback      []string       `json:"traceback,omitempty"`
}

// MarshalJSON writes the output with exactly the keys nbformat v4 requires for its type.
func (o *Output) MarshalJSON() ([]byte, error) {
	switch o.Type {
	case StreamOutput:
		text := multiline(o.Text)
		return marshal(outputJSON{OutputType: o.Type, Name: o.Name, Text: &text})
	case DisplayDataOutput, ExecuteResultOutput:
		data := make(map[string]any, len(o.Data))
		for mime, v := range o.Data {
			if s, ok := v.(string); ok && splitMIME(mime) {
				v = multiline(s)
			}
			data[mime] = v
		}
		meta := o.Metadata
		if meta == nil {
			meta = map[string]any{}
		}
		if o.Type == DisplayDataOutput {
			return marshal(struct {
				Data       map[string]any `json:"data"`
				Metadata   map[string]any `json:"metadata"`
				OutputType string         `json:"output_type"`
			}{data, meta, o.Type})
		}
		return marshal(struct {
			Data           map[string]any `json:"data"`
			ExecutionCount *int           `json:"execution_count"`
			Metadata       map[string]any `json:"metadata"`
			OutputType     string         `json:"output_type"`
		}{data, o.ExecutionCount, meta, o.Type})
	case ErrorOutput:
		tb := o.Traceback
		if tb == nil {
			tb = []string{}
		}
		return marshal(struct {
			EName      string   `json:"ename"`
			EValue     string   `json:"evalue"`
			OutputType string   `json:"output_type"`
			Traceback  []string `json:"traceback"`
		}{o.EName, o.EValue, o.Type, tb})
	}
	return nil, fmt.Errorf("output type %q is not one of stream, display_data, execute_result, error", o.Type)
}

// UnmarshalJSON reads an output, joining multi-line MIME values back into single strings.
func (o *Output) UnmarshalJSON(b []byte) error {
	var j outputJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	*o = Output{Type: j.OutputType, Name: j.Name, Metadata: j.Metadata, ExecutionCount: j.ExecutionCount,
		EName: j.EName, Traceback: j.Traceback}
	if j.EValue != nil {
		o.EValue = *j.EValue
	}
	if j.Text != nil {
		o.Text = string(*j.Text)
	}
	if j.Data != nil {
		o.Data = make(map[string]any, len(j.Data))
		for mime, v := range j.Data {
			if list, ok := v.([]any); ok && !jsonMIME(mime) {
				var sb strings.Builder
				for _, line := range list {
					s, _ := line.(string)
					sb.WriteString(s)
				}
				v = sb.String()
			}
			o.Data[mime] = v
		}
	}
	return nil
}

// jsonMIME reports whether values of this MIME type are JSON documents rather than strings.
func jsonMIME(mime string) bool {
	return mime == "application/json" || (strings.HasPrefix(mime, "application/") && strings.HasSuffix(mime, "+json"))
}

// splitMIME reports whether nbformat stores values of this MIME type as a list of lines
// (nbformat's _split_mimebundle: text/*, application/javascript, image/svg+xml).
func splitMIME(mime string) bool {
	return strings.HasPrefix(mime, "text/") || mime == "application/javascript" || mime == "image/svg+xml"
}

// multiline is a string stored in nbformat as a list of lines, each keeping its "\n"
// (Python's str.splitlines(True)); reading also accepts a plain string.
type multiline string

// MarshalJSON writes the string as a list of lines.
func (m multiline) MarshalJSON() ([]byte, error) {
	return marshal(splitLines(string(m)))
}

// UnmarshalJSON accepts a string or a list of strings.
func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %.40s", b)
	}
	*m = multiline(strings.Join(lines, ""))
	return nil
}

// splitLines splits s after each "\n"; "" gives an empty list.
func splitLines(s string) []string {
	lines := []string{}
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}
