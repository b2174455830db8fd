//go:build unix

package realclient

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts the client in a process group of its own, and
// makes cancelling the run kill the whole group (lftp and Python may
// leave children behind).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		killProcessGroup(cmd)
		return nil
	}
}

// killProcessGroup kills the group the client leads, by its id.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
