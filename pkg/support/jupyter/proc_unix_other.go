//go:build unix && !linux

package jupyter

import "syscall"

// setParentDeathSignal is Linux-only; elsewhere Close (deferred by Run) is what ends the kernel.
func setParentDeathSignal(*syscall.SysProcAttr) {}
