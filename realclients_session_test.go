package mockftpd_test

// Sessions seen from real clients (issue 13.3, 13.8, 13.10, 13.11): how a
// session ends and what the journal says about it, a second USER after
// login, and files a reloaded scenario brings.

import (
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// wantSessionEnd waits for the end of session n and fails the test unless
// its <disconnect> entry gives reason.
func wantSessionEnd(t *testing.T, srv *ftptest.Server, n int, reason string) {
	t.Helper()
	e, err := srv.WaitSessionEnd(n, 10*time.Second)
	if err != nil {
		t.Fatalf("session %d: %v; journal:%s", n, err, journalText(srv))
	}
	if e.Command != journal.Disconnect || e.Reason != reason {
		t.Fatalf("session %d ended with %s %q, want %q; journal:%s", n, e.Command, e.Reason, reason, journalText(srv))
	}
}

// TestRealClientsSessionEnd: every session's end is in the journal with
// its reason, whichever client ends it and however (13.11), and a rule's
// `then: close` is a clean close the client sees as one, never a reset,
// even when the client has already sent its next command (13.3).
func TestRealClientsSessionEnd(t *testing.T) {
	t.Parallel()
	const files = `files: [{path: /pub/a.txt, content: "a\n"}]
`
	t.Run("curl quits", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, files)
		s := realSession(t, srv, plainMode, nil)
		r := s.Curl(t, "/pub/a.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		wantSessionEnd(t, srv, 1, journal.ReasonQuit)
	})
	t.Run("ftplib quits, then closes without QUIT", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, files)
		s := realSession(t, srv, plainMode, nil)
		s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "pwd"}, rc.Step{Op: "quit"})...)
		wantSessionEnd(t, srv, 1, journal.ReasonQuit)
		s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "pwd"}, rc.Step{Op: "close"})...)
		wantSessionEnd(t, srv, 2, journal.ReasonClientClosed)
	})
	t.Run("lftp", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, files)
		s := realSession(t, srv, plainMode, nil)
		r := s.LFTP(t, "cat /pub/a.txt")
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		e, err := srv.WaitSessionEnd(1, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if e.Reason != journal.ReasonQuit && e.Reason != journal.ReasonClientClosed {
			t.Fatalf("lftp's session ended with %q; journal:%s", e.Reason, journalText(srv))
		}
	})
	// The rule closes after USER's 331 while the client has PASS on its
	// way (curl sends it at once): a FIN, the PASS read and dropped, no RST.
	const closeAfterUser = `rules:
  - {when: {command: USER}, reply: 331 Password required, then: close}
`
	t.Run("then close, curl", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, closeAfterUser)
		for i := 1; i <= 5; i++ {
			s := realSession(t, srv, plainMode, nil)
			r := s.Curl(t, "/")
			// curl reports an end of file as exit 56 with a stale errno;
			// a reset says "reset" or errno 104 (ECONNRESET)
			if low := strings.ToLower(r.Stderr); strings.Contains(low, "reset") || strings.Contains(low, "errno: 104") || r.Exit == 7 {
				t.Fatalf("run %d: curl saw a reset or no server, not a clean close: %s", i, r.Result)
			}
			if r.Exit == 0 {
				t.Fatalf("run %d: curl succeeded after the server closed: %s", i, r.Result)
			}
			wantSessionEnd(t, srv, i, journal.ReasonRuleClose)
		}
	})
	t.Run("then close, ftplib", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, closeAfterUser)
		s := realSession(t, srv, plainMode, nil)
		r := s.Ftplib(t, s.FtplibLogin()...)
		if got := r.Steps[len(r.Steps)-1].Observed(); !strings.Contains(got, "EOFError") {
			t.Fatalf("login observed %q, want the clean end of the connection (EOFError), not a reset", got)
		}
		wantSessionEnd(t, srv, 1, journal.ReasonRuleClose)
	})
}

// TestRealClientsSecondUser: a USER sent after login does not change who
// the session is (13.8): the journal, rules and expectations keep seeing
// the user who logged in.
func TestRealClientsSecondUser(t *testing.T) {
	t.Parallel()
	const users = `users:
  - {name: alice, password: alice-pw}
  - {name: bob, password: bob-pw}
rules:
  - {when: {command: MKD, user: bob}, reply: 550 Bob may not make folders}
expect:
  - {command: MKD, user: alice, times: 2}
`
	t.Run("ftplib", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, users)
		s := realSession(t, srv, plainMode, nil)
		s.User, s.Password = "alice", "alice-pw"
		r := s.Ftplib(t, s.FtplibLogin(
			rc.Step{Op: "sendcmd", Line: "USER bob"},
			rc.Step{Op: "mkd", Path: "/made"},
			rc.Step{Op: "pwd"})...)
		if got := r.Steps[3].Observed(); got != `ok: "/made"` {
			t.Fatalf("after a second USER, mkd observed %q; steps:\n%s", got, r.Result)
		}
		wantUser(t, srv, "MKD", "alice")
		wantUser(t, srv, "PWD", "alice")
	})
	t.Run("lftp", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, users)
		s := realSession(t, srv, plainMode, nil)
		s.User, s.Password = "alice", "alice-pw"
		r := s.LFTP(t, "quote USER bob", "mkdir /made2", "mkdir /made3")
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		wantUser(t, srv, "MKD", "alice")
		if rep := srv.Verify(); !rep.OK {
			t.Fatalf("expectations: %v", rep)
		}
	})
}

// TestRealClientsReloadSeeds: a scenario put in force on a running server
// brings its files at once, without a reset, and leaves what a client
// uploaded as it is (13.10).
func TestRealClientsReloadSeeds(t *testing.T) {
	t.Parallel()
	srv := languageServer(t, `files: [{path: /old.txt, content: "old\n"}]
`)
	s := realSession(t, srv, plainMode, map[string]string{"up.txt": "mine\n"})
	r := s.Curl(t, "/up.txt", "-T", "up.txt")
	wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)

	next, err := scenario.Parse("next.yaml", []byte(`version: 1
files:
  - {path: /new/report.csv, content: "id\n1\n"}
  - {path: /up.txt, content: "the scenario's\n"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetScenario(next); err != nil {
		t.Fatal(err)
	}
	r = s.Curl(t, "/new/report.csv")
	wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
	if r.Stdout != "id\n1\n" {
		t.Fatalf("the reloaded scenario's file: %q", r.Stdout)
	}
	r = s.Curl(t, "/up.txt")
	if r.Stdout != "mine\n" {
		t.Fatalf("the client's upload became %q after the reload", r.Stdout)
	}
	r = s.Curl(t, "/old.txt")
	if r.Stdout != "old\n" {
		t.Fatalf("the previous scenario's file became %q after the reload", r.Stdout)
	}
}
