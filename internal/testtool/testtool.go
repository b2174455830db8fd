// Package testtool finds the external programs mockftpd's tests drive
// (curl, python3, real FTP servers). A missing program skips the test with
// a message saying how to install it; under CI=true, where .ci/run
// installs everything, it fails the test instead.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where every tool
// must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test (or fails it under CI=true) because what it
// needs is missing; install says how to get it.
func Unavailable(t testing.TB, what, install string) {
	t.Helper()
	msg := what + " is not available; install it with: " + install
	if InCI() {
		t.Fatal(msg + " (CI=true: a missing tool is a failure)")
	}
	t.Skip(msg)
}

// Need returns the path of program name, or skips (fails under CI) with
// install as the way to get it.
func Need(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, name, install)
	}
	return p
}
