//go:build unix

package realclient

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// The shell leaves a child behind that outlives it and holds its
	// output open: the run must still end, and the child be gone.
	r := runProgram(ctx, t, "/bin/sh", dir, nil, "-c", "sleep 60 & echo $! > "+pidFile+"; wait")
	if !r.Killed || r.Exit != -1 {
		t.Fatalf("run: %s; want killed at the limit", r)
	}
	if r.Duration > 10*time.Second {
		t.Fatalf("the run took %v after its limit", r.Duration)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil { // gone, or a zombie of init's for a moment
		if time.Now().After(deadline) {
			t.Fatalf("the client's child %d is still running", pid)
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(st), ") Z ") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}
