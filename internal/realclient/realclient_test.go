package realclient_test

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const seed = "version: 1\nfiles:\n  - {path: /pub/file.txt, content: \"hello, world\\n\"}\nrules:\n  - {when: {command: DELE}, reply: 550 Not here}\n"

// TestEachClient downloads a file with each client, and sees each report
// a scripted failure the way it does.
func TestEachClient(t *testing.T) {
	t.Run("curl", func(t *testing.T) {
		t.Parallel()
		rc.Require(t, rc.Curl)
		s := rc.Session{Addr: ftptest.New(t, ftptest.WithScenarioText(seed)).Addr()}
		if r := s.Curl(t, "/pub/file.txt"); r.Observed() != "exit 0" || r.Stdout != "hello, world\n" {
			t.Fatalf("download: %s, %q\n%s", r.Observed(), r.Stdout, r.Result)
		}
		if r := s.Curl(t, "/", "-I", "-Q", "DELE /pub/file.txt"); r.Observed() != "exit 21: QUOT command failed with 550" {
			t.Fatalf("DELE: %s\n%s", r.Observed(), r.Result)
		}
	})
	t.Run("lftp", func(t *testing.T) {
		t.Parallel()
		rc.Require(t, rc.LFTP)
		s := rc.Session{Addr: ftptest.New(t, ftptest.WithScenarioText(seed)).Addr(), Dir: t.TempDir()}
		if r := s.LFTP(t, "get /pub/file.txt -o got.txt", "rm /pub/file.txt"); r.Observed() != "exit 1: rm: Access failed: 550 Not here (/pub/file.txt)" {
			t.Fatalf("lftp: %s\n%s", r.Observed(), r.Result)
		}
	})
	t.Run("ftplib", func(t *testing.T) {
		t.Parallel()
		rc.Require(t, rc.Ftplib)
		s := rc.Session{Addr: ftptest.New(t, ftptest.WithScenarioText(seed)).Addr()}
		r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "retr", Path: "/pub/file.txt"}, rc.Step{Op: "dele", Path: "/pub/file.txt"})...)
		var got []string
		for _, st := range r.Steps {
			got = append(got, st.Step.String()+" → "+st.Observed())
		}
		want := []string{
			"connect → ok: 220 mockftpd ready",
			"login → ok: 230 Password ok, continue",
			`retr /pub/file.txt → ok: 226 Closing transfer connection; 13 bytes "hello, world\n"`,
			"dele /pub/file.txt → ftplib.error_perm: 550 Not here",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("ftplib observed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if r.Steps[2].Code() != 226 || r.Steps[3].Code() != 550 || r.Steps[2].Download().Len != 13 {
			t.Fatalf("codes %d %d, download %+v", r.Steps[2].Code(), r.Steps[3].Code(), r.Steps[2].Download())
		}
	})
}

// TestLoopbackOnly refuses an address beyond loopback before running anything.
func TestLoopbackOnly(t *testing.T) {
	rc.Require(t, rc.Curl)
	f := &fatalTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		rc.Session{Addr: "192.0.2.1:21"}.Curl(f, "/")
	}()
	if !strings.Contains(f.msg, "not a loopback address") {
		t.Fatalf("got %q, want a refusal", f.msg)
	}
}

// fatalTB records a Fatalf and stops the call (as t.Fatalf would).
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = format
	panic("fatal")
}
