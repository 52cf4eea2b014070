package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree into a struct, field by field, so that every message can name the key and its
// line: yaml.v3's own Decode stops at the first error and names Go types instead of keys.
//
// Rules: a YAML null keeps the default (for model.quantize it means "none"); strings must be YAML strings
// (quote numbers: "2024"); integers must be integers; floats accept integers; lists must be lists.
type decoder struct {
	file     string
	lines    map[string]int
	problems Problems
}

func (d *decoder) addf(line int, key, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

var (
	layersType = reflect.TypeOf(Layers{})
	slotsType  = reflect.TypeOf(AutoSlots)
)

// yamlKeys lists the YAML keys of struct type t in declaration order, with their field indices.
func yamlKeys(t reflect.Type) (keys []string, index map[string]int) {
	index = map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		keys = append(keys, tag)
		index[tag] = i
	}
	return keys, index
}

// decodeStruct fills the struct v from the mapping node n; path is the dotted key of n ("" at the top).
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		where := path
		if where == "" {
			d.addf(n.Line, "", "the file must be a mapping of sections (model:, data:, generation:, ...), got %s", describeNode(n))
			return
		}
		d.addf(n.Line, where, "expected a mapping of keys (key: value on the lines below), got %s", describeNode(n))
		return
	}
	keys, index := yamlKeys(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := kn.Value
		full := joinKey(path, key)
		if first, dup := seen[key]; dup {
			d.addf(kn.Line, full, "key given twice (first at line %d); keep one", first)
			continue
		}
		seen[key] = kn.Line
		fi, ok := index[key]
		if !ok {
			section := path
			if section == "" {
				section = "the top level"
			}
			hint := ""
			if close := closeMatches(key, keys, 3); len(close) > 0 {
				hint = fmt.Sprintf(" (did you mean %q?)", close[0])
			}
			d.addf(kn.Line, "", "unknown key %q in %s%s; valid keys: %s", key, section, hint, strings.Join(keys, ", "))
			continue
		}
		d.lines[full] = vn.Line
		d.decodeValue(vn, v.Field(fi), full)
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeValue fills the field v from node n.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isNull(n) {
		if key == "model.quantize" {
			v.SetString("none")
		}
		return
	}
	if v.Type() == layersType {
		d.decodeLayers(n, v, key)
		return
	}
	if v.Type() == slotsType {
		d.decodeSlots(n, v, key)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, key)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.addf(n.Line, key, "expected a string, got %s%s", describeNode(n), quoteHint(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64:
		x, ok := intValue(n)
		if !ok {
			d.addf(n.Line, key, "expected an integer, got %s", describeNode(n))
			return
		}
		v.SetInt(x)
	case reflect.Float64:
		x, ok := floatValue(n)
		if !ok {
			d.addf(n.Line, key, "expected a number, got %s", describeNode(n))
			return
		}
		v.SetFloat(x)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.addf(n.Line, key, "expected true or false, got %s", describeNode(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			panic(fmt.Sprintf("config: decoder has no rule for %s (field %s)", v.Type(), key))
		}
		if n.Kind != yaml.SequenceNode {
			d.addf(n.Line, key, "expected a list of strings ([a, b] or lines starting with '- '), got %s", describeNode(n))
			return
		}
		out := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			ik := fmt.Sprintf("%s[%d]", key, i)
			d.lines[ik] = item.Line
			if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" {
				d.addf(item.Line, ik, "expected a string, got %s%s", describeNode(item), quoteHint(item))
				continue
			}
			out = append(out, item.Value)
		}
		v.Set(reflect.ValueOf(out))
	default:
		panic(fmt.Sprintf("config: decoder has no rule for %s (field %s)", v.Type(), key))
	}
}

// decodeSlots reads generation.batch_size: auto | 32.
func (d *decoder) decodeSlots(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.EqualFold(n.Value, "auto") {
		v.SetInt(int64(AutoSlots))
		return
	}
	x, ok := intValue(n)
	if !ok || x < 1 {
		d.addf(n.Line, key, "expected auto or a number of slots (>= 1), got %s", describeNode(n))
		return
	}
	v.SetInt(x)
}

// decodeLayers reads extraction.layers: auto | 20 | [10, 20].
func (d *decoder) decodeLayers(n *yaml.Node, v reflect.Value, key string) {
	const want = `"auto", a layer index, or a list of layer indices like [10, 20]`
	var l Layers
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.EqualFold(n.Value, "auto"):
		l.Auto = true
	case n.Kind == yaml.ScalarNode:
		x, ok := intValue(n)
		if !ok {
			d.addf(n.Line, key, "expected %s, got %s", want, describeNode(n))
			return
		}
		l.Indices = []int{int(x)}
	case n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			d.addf(n.Line, key, "empty list: give at least one layer index, or auto")
			return
		}
		for i, item := range n.Content {
			ik := fmt.Sprintf("%s[%d]", key, i)
			d.lines[ik] = item.Line
			x, ok := intValue(item)
			if !ok {
				d.addf(item.Line, ik, "expected a layer index (an integer), got %s", describeNode(item))
				return
			}
			l.Indices = append(l.Indices, int(x))
		}
	default:
		d.addf(n.Line, key, "expected %s, got %s", want, describeNode(n))
		return
	}
	v.Set(reflect.ValueOf(l))
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") || n.Kind == 0
}

func intValue(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return 0, false
	}
	var x int64
	if err := n.Decode(&x); err != nil {
		return 0, false
	}
	return x, true
}

func floatValue(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		return 0, false
	}
	var x float64
	if err := n.Decode(&x); err != nil || math.IsNaN(x) {
		return 0, false
	}
	return x, true
}

// describeNode names what a node holds, for "expected X, got Y" messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return n.Value
		case "!!null":
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "an empty value"
}

// quoteHint suggests quoting when YAML read a scalar meant as a string as something else (yes, 2024, 1.0).
func quoteHint(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!str" {
		return fmt.Sprintf(` (write "%s" in quotes to make it a string)`, n.Value)
	}
	return ""
}

// closeMatches returns up to max candidates near word (edit distance, or one a prefix of the other), nearest
// first.
func closeMatches(word string, candidates []string, max int) []string {
	type scored struct {
		s string
		d int
	}
	w := strings.ToLower(word)
	var out []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := levenshtein(w, lc)
		limit := 2
		if len(w) >= 9 {
			limit = 3
		}
		prefix := len(w) >= 3 && len(lc) >= 3 && (strings.HasPrefix(lc, w) || strings.HasPrefix(w, lc))
		if d <= limit || prefix {
			out = append(out, scored{c, d})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].d < out[j].d })
	var s []string
	for i := 0; i < len(out) && i < max; i++ {
		s = append(s, out[i].s)
	}
	return s
}

// levenshtein is the edit distance (insertions, deletions, substitutions) between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
