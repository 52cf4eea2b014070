//go:build linux || darwin || freebsd || netbsd || openbsd

package gguf

import (
	"os"
	"syscall"
)

// mapFile maps the file read-only. Pages are loaded on first touch, so opening a large model is cheap and
// tensors that are never read never leave the disk.
func mapFile(fh *os.File, size int) ([]byte, func() error, error) {
	b, err := syscall.Mmap(int(fh.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
