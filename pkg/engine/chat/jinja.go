package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// This file sets up what a template sees, as transformers' render_jinja_template does: the variables
// (messages, add_generation_prompt, tools and documents as None, the special tokens, the caller's
// extras) and the globals transformers adds to Jinja (raise_exception, strftime_now), and the sandbox's
// bounded range (bound.go). The engine already
// renders with trim_blocks and lstrip_blocks, which is what transformers asks of Jinja.

// prepareSource reads the template text as Jinja's lexer does before parsing: "\r\n" and "\r" become
// "\n", and one trailing newline is dropped (keep_trailing_newline=False). A chat_template.jinja file
// usually ends with a newline that transformers therefore never writes; the engine would keep it.
func prepareSource(src string) string {
	src = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(src)
	return strings.TrimSuffix(src, "\n")
}

// variables builds the render's top scope. The globals set here shadow the engine's own: its
// strftime_now reads the wall clock, and its raise_exception returns a plain error, where Render wants a
// *TemplateError.
func (t *Template) variables(messages jinja.Value, gen bool, vars map[string]any, b *budget) (map[string]jinja.Value, error) {
	data := map[string]jinja.Value{
		"messages":              messages,
		"add_generation_prompt": jinja.NewBool(gen),
		"tools":                 jinja.None(), // transformers always passes these two, as None when not given
		"documents":             jinja.None(),
		"raise_exception": jinja.NewCallable("raise_exception", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			msg := "raise_exception called"
			if len(args) > 0 {
				msg = args[0].String()
				if args[0].IsString() {
					msg = args[0].AsString()
				}
			}
			return jinja.Undefined(), &TemplateError{Message: msg}
		}),
		"strftime_now": jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			if len(args) != 1 || !args[0].IsString() {
				return jinja.Undefined(), fmt.Errorf("strftime_now takes one format string, e.g. strftime_now(\"%%d %%b %%Y\")")
			}
			return jinja.NewString(strftime(args[0].AsString(), t.now())), nil
		}),
	}
	if t.tokens.BOS != "" {
		data["bos_token"] = jinja.NewString(t.tokens.BOS)
	}
	if t.tokens.EOS != "" {
		data["eos_token"] = jinja.NewString(t.tokens.EOS)
	}
	if t.date != "" {
		data["date_string"] = jinja.NewString(t.date)
	}
	for k, v := range vars {
		if k == "messages" || k == "add_generation_prompt" {
			return nil, fmt.Errorf("chat: template variable %q is set by Render itself: pass it as Render's argument", k)
		}
		val, err := goValue(v)
		if err != nil {
			return nil, fmt.Errorf("chat: template variable %q: %w", k, err)
		}
		data[k] = val
	}
	data["range"] = jinja.NewCallable("range", b.rangeFn) // bounded (bound.go); after vars, so that it always is
	return data, nil
}

// messagesValue turns msgs into the list of {"role", "content"} dicts a template iterates over.
func messagesValue(msgs []Message) jinja.Value {
	items := make([]jinja.Value, len(msgs))
	for i, m := range msgs {
		d := jinja.NewDict()
		d.AsDict().Set("role", jinja.NewString(m.Role))
		d.AsDict().Set("content", jinja.NewString(m.Content))
		items[i] = d
	}
	return jinja.NewList(items)
}

// goValue converts a variable for the template. json.RawMessage is decoded keeping the order of object
// keys, which Go maps lose: Python dicts keep it, and tojson writes keys in that order.
func goValue(v any) (jinja.Value, error) {
	switch x := v.(type) {
	case json.RawMessage:
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber() // integers stay integers, as in Python's json.loads
		val, err := decodeJSON(dec)
		if err != nil {
			return jinja.Undefined(), fmt.Errorf("invalid JSON: %w", err)
		}
		return val, nil
	case []any:
		items := make([]jinja.Value, len(x))
		for i := range x {
			item, err := goValue(x[i])
			if err != nil {
				return jinja.Undefined(), err
			}
			items[i] = item
		}
		return jinja.NewList(items), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := jinja.NewDict()
		for _, k := range keys {
			item, err := goValue(x[k])
			if err != nil {
				return jinja.Undefined(), err
			}
			d.AsDict().Set(k, item)
		}
		return d, nil
	case nil, bool, int, int64, float64, string, json.Number:
		return jinja.FromGoValue(x), nil
	}
	return jinja.Undefined(), fmt.Errorf("unsupported type %T: use nil, bool, int, float64, string, []any, map[string]any or json.RawMessage", v)
}

// decodeJSON reads one JSON value from dec into template values, objects as dicts in key order.
func decodeJSON(dec *json.Decoder) (jinja.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return jinja.Undefined(), err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '{':
			d := jinja.NewDict()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return jinja.Undefined(), err
				}
				v, err := decodeJSON(dec)
				if err != nil {
					return jinja.Undefined(), err
				}
				d.AsDict().Set(k.(string), v)
			}
			_, err := dec.Token() // '}'
			return d, err
		case '[':
			items := []jinja.Value{}
			for dec.More() {
				v, err := decodeJSON(dec)
				if err != nil {
					return jinja.Undefined(), err
				}
				items = append(items, v)
			}
			_, err := dec.Token() // ']'
			return jinja.NewList(items), err
		}
		return jinja.Undefined(), fmt.Errorf("unexpected %v", x)
	default:
		return jinja.FromGoValue(x), nil // nil, bool, string, json.Number
	}
}

// strftime formats t as Python's time.strftime does on Linux (glibc), for the directives chat templates
// use: %d %m %Y %y %H %I %M %S %p %b %B %a %A %j %e %%, and the glibc "%-d" form without padding. An
// unknown directive is written as is, as glibc does.
func strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		pad := true
		if format[i] == '-' && i+1 < len(format) {
			pad = false
			i++
		}
		num := func(n, width int) {
			s := strconv.Itoa(n)
			if pad {
				s = strings.Repeat("0", max(0, width-len(s))) + s
			}
			b.WriteString(s)
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch format[i] {
		case 'd':
			num(t.Day(), 2)
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'm':
			num(int(t.Month()), 2)
		case 'Y':
			num(t.Year(), 4)
		case 'y':
			num(t.Year()%100, 2)
		case 'H':
			num(t.Hour(), 2)
		case 'I':
			num(hour12, 2)
		case 'M':
			num(t.Minute(), 2)
		case 'S':
			num(t.Second(), 2)
		case 'j':
			num(t.YearDay(), 3)
		case 'p':
			b.WriteString(map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12])
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			if !pad {
				b.WriteByte('-')
			}
			b.WriteByte(format[i])
		}
	}
	return b.String()
}
