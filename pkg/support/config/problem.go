package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a config: where it is (file, line, dotted key) and what to do about it.
type Problem struct {
	File string // the config file as given to Load; "" when not from a file
	Line int    // 1-based line in File; 0 when unknown
	Key  string // dotted key, e.g. "generation.top_p"; "" for the whole file
	Msg  string
}

// Error formats the problem as "file:line: key: msg", leaving out the parts that are unknown.
func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	} else if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error Load and Validate return: every problem found, in file order, one per line.
// Use errors.As to reach the list.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Error()
	}
	if len(ps) > 1 {
		return fmt.Sprintf("config: %d problems:\n%s", len(ps), strings.Join(s, "\n"))
	}
	return strings.Join(s, "\n")
}

// errOrNil returns nil for an empty list, so that a nil *Problems never hides in an error interface.
func (ps Problems) errOrNil() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// problemf records a problem at the line of key (looked up in c.lines) in c's file.
func (c *Config) problemf(key, format string, args ...any) Problem {
	return Problem{File: c.File, Line: c.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)}
}
