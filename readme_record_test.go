package mockftpd_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/testtool"
	"github.com/mockftpd/mockftpd/scenario"
)

// The README's worked example of recording and replaying runs as written,
// against a mockftpd standing for the real server: the recording stops
// after its two sessions, validates, and the replay serves the recorded
// listing byte for byte.
func TestREADMERecordExample(t *testing.T) {
	testtool.Need(t, "curl", "apt-get install -y curl")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "### Worked example: record a session, replay it\n")
	if ok {
		_, block, ok = strings.Cut(block, "```sh\n")
	}
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("no worked example of recording in the README")
	}
	up := ftptest.New(t)
	if err := up.WriteFile("/pub/a.txt", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	// the example's fixed port, made a free one
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().String()
	_ = l.Close()
	script := strings.NewReplacer("ftp.example.com:21", up.Addr(), "127.0.0.1:2121", port).Replace(block)

	bin := buildCommand(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=" + filepath.Dir(bin) + ":" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the example failed: %v\n%s", err, out)
	}
	for _, want := range []string{"same listing, byte for byte", "recorded.yaml: ok ("} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the example's output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(string(out), "curl: (78)"); n != 2 {
		t.Errorf("%d 550s for the missing file, want one recorded and one replayed:\n%s", n, out)
	}
	y, err := os.ReadFile(filepath.Join(dir, "recorded.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("recorded.yaml", y)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "a.txt") || len(sc.Rules) == 0 {
		t.Errorf("the recording lacks the listing:\n%s", y)
	}
}
