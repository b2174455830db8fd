package ftptest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestReadmeMatchesTest keeps README.md's example and this package's copy
// of it identical.
func TestReadmeMatchesTest(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	test, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := func(s string) string {
		i := strings.Index(s, "func TestUploadReportsDiskFull")
		if i < 0 {
			return ""
		}
		j := strings.Index(s[i:], "\n}\n")
		return s[i : i+j]
	}
	if b := body(string(readme)); b == "" || b != body(string(test)) {
		t.Fatal("README.md's example differs from readme_test.go")
	}
}

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	srv := ftptest.New(t,
		ftptest.WithRoot(dir),
		ftptest.WithUser("alice", "pw"),
		ftptest.WithScenarioText("version: 1\nrules:\n  - when: {command: NOOP}\n    reply: 299 scripted\n"),
		ftptest.WithConfig(func(cfg *server.Config) { cfg.Banner = "hello tests" }),
	)
	c := tc.RawDial(t, srv.Addr())
	if msg := c.Expect(220); msg != "hello tests" {
		t.Fatalf("banner %q", msg)
	}
	c.Cmd(331, "USER alice")
	c.Cmd(230, "PASS pw")
	c.Cmd(299, "NOOP")
	jc := tc.Login(t, srv.Addr(), "alice", "pw")
	if err := jc.Stor("/on-disk.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitUpload("/on-disk.txt", time.Second); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "on-disk.txt")); err != nil || string(b) != "x" {
		t.Fatalf("host file %q, %v", b, err)
	}
}

func TestScenarioFileOption(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithScenarioFile(filepath.Join("..", "scenarios", "rename-refused.yaml")))
	c := tc.Login(t, srv.Addr(), "u", "p")
	tc.WantReply(t, c.Rename("/docs/draft.txt", "/docs/x.txt"), 553, "")
}
