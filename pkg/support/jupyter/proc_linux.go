//go:build linux

package jupyter

import "syscall"

// setParentDeathSignal asks Linux to kill the kernel if the runner dies without calling Close
// (for example on SIGKILL), so no orphan kernel keeps its ports.
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
