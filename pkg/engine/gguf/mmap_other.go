//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package gguf

import (
	"errors"
	"os"
)

// mapFile is unavailable here: Open falls back to reading the whole file into memory.
func mapFile(*os.File, int) ([]byte, func() error, error) {
	return nil, nil, errors.New("mmap not supported on this platform")
}
