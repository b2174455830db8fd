//go:build !unix

package realclient

import "os/exec"

// ownProcessGroup: without process groups, cancelling kills the client only.
func ownProcessGroup(cmd *exec.Cmd) {}

// killProcessGroup kills the client process.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
