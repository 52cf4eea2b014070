// Package jsonerr says where in a file encoding/json stopped. Its errors give a byte offset (or nothing a
// person can use); a user editing a tokenizer.json or a notebook wants the line. The readers of outside JSON
// files (the tokenizer, the notebook runner) add Where to their errors.
package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Where locates a JSON decoding error of data: " at line L, byte B", or "" when the error gives no offset.
func Where(data []byte, err error) string {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return ""
	}
	off = min(max(off, 0), int64(len(data)))
	return fmt.Sprintf(" at line %d, byte %d", 1+bytes.Count(data[:off], []byte("\n")), off)
}
