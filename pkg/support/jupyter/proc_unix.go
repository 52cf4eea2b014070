//go:build unix

package jupyter

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the kernel in its own process group, so that killing the group ends the
// kernel and the programs it started (GoNB runs each cell as a child process), and so that a
// Ctrl-C in the runner's terminal is not delivered to the kernel directly.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setParentDeathSignal(cmd.SysProcAttr)
}

// killProcessGroup sends SIGKILL to the kernel's process group.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// interruptProcess sends SIGINT to the kernel process only (not its group: the kernel decides
// how to pass the interrupt on).
func interruptProcess(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Signal(syscall.SIGINT)
}
