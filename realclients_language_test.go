package mockftpd_test

// The scenario language's path conditions, scripted logins, lists of
// preliminary and final replies, strict replays and {address} (issue 13.1,
// 13.5, 13.6 and the replay features of issue 17), each driven by real
// clients: curl, lftp and Python ftplib.

import (
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
	"github.com/mockftpd/mockftpd/journal"
)

// languageServer serves a scenario given as YAML text.
func languageServer(t *testing.T, yaml string) *ftptest.Server {
	t.Helper()
	return ftptest.New(t, ftptest.WithScenarioText("version: 1\n"+yaml))
}

// wantPaths fails the test unless the journal's entries of verb have
// these paths, in order.
func wantPaths(t *testing.T, srv *ftptest.Server, verb string, want ...string) {
	t.Helper()
	var got []string
	for _, e := range entriesOf(srv, verb) {
		got = append(got, e.Path)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s acted on %q, want %q; journal:%s", verb, got, want, journalText(srv))
	}
}

// pathScenario refuses listings of /pub and downloads of any .bin under
// /pub, whatever the working directory the client sends them from.
const pathScenario = `files:
  - {path: /pub/a.txt, content: "a\n"}
  - {path: /pub/big.bin, content: "b\n"}
rules:
  - name: no listing of pub
    when: {command: [LIST, NLST, MLSD], path: /pub}
    reply: 550 Listing of /pub is forbidden
  - name: no binaries
    when: {command: [RETR, SIZE], path: {glob: "/pub/**.bin"}}
    reply: 550 Binaries are off limits
`

// TestRealClientsPath: rules on path fire for each client's way of naming
// a file (curl: CWD pub then RETR big.bin; lftp and ftplib: full or
// relative paths) and of listing (LIST with no argument, LIST pub,
// NLST /pub), and the journal records the path each command acted on.
func TestRealClientsPath(t *testing.T) {
	t.Parallel()
	t.Run("curl", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, pathScenario)
		s := realSession(t, srv, plainMode, nil)
		r := s.Curl(t, "/pub/big.bin") // CWD pub, SIZE big.bin
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 78: The file does not exist", r.Result)
		r = s.Curl(t, "/pub/a.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		r = s.Curl(t, "/pub/", "--list-only") // CWD pub, NLST
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 19: RETR response: 550", r.Result)
		wantLog(t, srv, []string{"CWD pub 250", "CWD pub 250", "CWD pub 250"}, "CWD")
		wantLog(t, srv, []string{"SIZE big.bin 550", "SIZE a.txt 213"}, "SIZE")
		wantPaths(t, srv, "SIZE", "/pub/big.bin", "/pub/a.txt")
		wantPaths(t, srv, "NLST", "/pub")
	})
	t.Run("lftp", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, pathScenario)
		s := realSession(t, srv, plainMode, nil)
		r := s.LFTP(t, "cd /pub", "get a.txt -o a.txt", "get big.bin -o big.bin")
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 1: get: Access failed: 550 Binaries are off limits (big.bin)", r.Result)
		if got := localFile(t, s, "a.txt"); got != "a\n" {
			t.Fatalf("downloaded %q", got)
		}
		r = s.LFTP(t, "cls -1 /pub") // CWD pub, LIST
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 1: Access failed: 550 Listing of /pub is forbidden", r.Result)
		wantPaths(t, srv, "RETR", "/pub/a.txt", "/pub/big.bin")
		wantPaths(t, srv, "LIST", "/pub")
	})
	t.Run("ftplib", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, pathScenario)
		s := realSession(t, srv, plainMode, nil)
		r := s.Ftplib(t, s.FtplibLogin(
			rc.Step{Op: "cwd", Path: "/pub"},
			rc.Step{Op: "size", Path: "big.bin"},
			rc.Step{Op: "retr", Path: "../pub/a.txt"},
			rc.Step{Op: "nlst", Path: "."},
			rc.Step{Op: "cwd", Path: "/"},
			rc.Step{Op: "nlst", Path: "pub"},
			rc.Step{Op: "retr", Path: "pub/a.txt"})...)
		wantSteps(t, srv, r,
			"connect → ok: 220 mockftpd ready",
			"login → ok: 230 Password ok, continue",
			"cwd /pub → ok: 250 CD worked on /pub",
			"size big.bin → ftplib.error_perm: 550 Binaries are off limits",
			`retr ../pub/a.txt → ok: 226 Closing transfer connection; 2 bytes "a\n"`,
			"nlst . → ftplib.error_perm: 550 Listing of /pub is forbidden",
			"cwd / → ok: 250 CD worked on /",
			"nlst pub → ftplib.error_perm: 550 Listing of /pub is forbidden",
			`retr pub/a.txt → ok: 226 Closing transfer connection; 2 bytes "a\n"`)
		wantPaths(t, srv, "SIZE", "/pub/big.bin")
		wantPaths(t, srv, "RETR", "/pub/a.txt", "/pub/a.txt")
		wantPaths(t, srv, "NLST", "/pub", "/pub")
	})
}

// TestPathNearMiss: a command no rule fired for, whose path a rule
// wanted otherwise, is explained in the verify report.
func TestPathNearMiss(t *testing.T) {
	t.Parallel()
	srv := languageServer(t, `files: [{path: /in/a.csv, content: "x"}]
rules:
  - {name: outbox only, when: {command: RETR, path: {glob: "/out/*"}}, reply: 550 No}
`)
	s := realSession(t, srv, plainMode, nil)
	r := s.Curl(t, "/in/a.csv")
	wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
	rep := srv.Verify()
	if len(rep.Unmatched) != 1 || rep.Unmatched[0].Why != "path /in/a.csv does not match glob /out/*" {
		t.Fatalf("near misses %+v", rep.Unmatched)
	}
	if !strings.Contains(rep.String(), "note: RETR a.csv (session 1) matched no rule; nearest is outbox only: path /in/a.csv does not match glob /out/*") {
		t.Fatalf("report:\n%s", rep)
	}
}

// TestRealClientsScriptedLogin: a scripted 230 greeting, a scripted 202
// to PASS with login: true, and a scripted 230 that logs in as a named
// user leave the session logged in for real: the client's next commands
// work.
func TestRealClientsScriptedLogin(t *testing.T) {
	t.Parallel()
	const greeting = `files: [{path: /pub/a.txt, content: "a\n"}]
rules:
  - {when: {event: connect}, reply: "230 Welcome, you are logged in"}
`
	const pass202 = `files: [{path: /pub/a.txt, content: "a\n"}]
rules:
  - {when: {command: PASS}, reply: 202 No password needed, login: true}
`
	const named = `users:
  - {name: alice, password: alice-pw, home: /alice}
  - {name: bob, password: bob-pw, home: /bob}
files: [{path: /bob/b.txt, content: "b\n"}]
rules:
  - {when: {command: PASS, user: alice}, reply: 230 Logged in as bob, login: bob}
`
	t.Run("curl", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, greeting)
		s := realSession(t, srv, plainMode, nil)
		r := s.Curl(t, "/pub/a.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		if r.Stdout != "a\n" {
			t.Fatalf("downloaded %q", r.Stdout)
		}

		srv = languageServer(t, pass202)
		s = realSession(t, srv, plainMode, nil)
		r = s.Curl(t, "/pub/a.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		wantLog(t, srv, []string{"PASS guest@example.com 202"}, "PASS")

		srv = languageServer(t, named)
		s = realSession(t, srv, plainMode, nil)
		s.User, s.Password = "alice", "wrong"
		r = s.Curl(t, "/b.txt") // relative to bob's home
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		if r.Stdout != "b\n" {
			t.Fatalf("downloaded %q", r.Stdout)
		}
		wantUser(t, srv, "RETR", "bob")
	})
	t.Run("ftplib", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, greeting)
		s := realSession(t, srv, plainMode, nil)
		r := s.Ftplib(t, rc.Step{Op: "connect"}, rc.Step{Op: "pwd"}, rc.Step{Op: "retr", Path: "/pub/a.txt"})
		wantSteps(t, srv, r,
			"connect → ok: 230 Welcome, you are logged in",
			`pwd → ok: "/"`,
			`retr /pub/a.txt → ok: 226 Closing transfer connection; 2 bytes "a\n"`)
		wantUser(t, srv, "RETR", "anonymous")

		srv = languageServer(t, pass202)
		s = realSession(t, srv, plainMode, nil)
		r = s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "nlst", Path: "/pub"})...)
		wantSteps(t, srv, r,
			"connect → ok: 220 mockftpd ready",
			"login → ok: 202 No password needed",
			`nlst /pub → ok: ["pub/a.txt"]`)

		srv = languageServer(t, named)
		s = realSession(t, srv, plainMode, nil)
		s.User, s.Password = "alice", "wrong"
		r = s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "pwd"}, rc.Step{Op: "retr", Path: "b.txt"})...)
		wantSteps(t, srv, r,
			"connect → ok: 220 mockftpd ready",
			"login → ok: 230 Logged in as bob",
			`pwd → ok: "/bob"`,
			`retr b.txt → ok: 226 Closing transfer connection; 2 bytes "b\n"`)
	})
}

// wantUser fails the test unless every journal entry of verb is by user.
func wantUser(t *testing.T, srv *ftptest.Server, verb, user string) {
	t.Helper()
	es := entriesOf(srv, verb)
	if len(es) == 0 {
		t.Fatalf("no %s in the journal:%s", verb, journalText(srv))
	}
	for _, e := range es {
		if e.User != user {
			t.Fatalf("%s by %q, want %q; journal:%s", verb, e.User, user, journalText(srv))
		}
	}
}

// TestRealClientsReplyLists: preliminary and final take lists: a
// greeting preceded by two 120 replies (lftp waits for the 220), a
// download whose 150 is two replies (as pure-ftpd says it), a deletion
// whose 250 is followed by a 421 before the hang-up.
func TestRealClientsReplyLists(t *testing.T) {
	t.Parallel()
	const greeting = `rules:
  - when: {event: connect}
    preliminary: [120 Wait a moment, 120 Almost there]
    delay: 500ms
`
	const sc = `files: [{path: /a.txt, content: "a\n"}, {path: /b.txt, content: "b\n"}]
rules:
  - when: {command: RETR}
    pass: true
    preliminary: [150 Accepted data connection, 150 0.0 kbytes to download]
  - when: {command: DELE}
    pass: true
    final: [250 Deleted, "421 Timeout, closing control connection"]
    then: close
`
	t.Run("lftp", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, greeting)
		r := realSession(t, srv, plainMode, nil).LFTP(t, "quote NOOP")
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		wantLog(t, srv, []string{"<connect> 120 120 220"}, "<connect>")

		srv = languageServer(t, sc)
		s := realSession(t, srv, plainMode, nil)
		r = s.LFTP(t, "get /a.txt -o a.txt", "rm /b.txt")
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		if got := localFile(t, s, "a.txt"); got != "a\n" {
			t.Fatalf("downloaded %q", got)
		}
		wantLog(t, srv, []string{"RETR a.txt 150 150 226"}, "RETR")
		wantLog(t, srv, []string{"DELE b.txt 250 421"}, "DELE")
		wantAbsent(t, srv, "/b.txt")
	})
	t.Run("curl", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, sc)
		s := realSession(t, srv, plainMode, nil)
		// curl takes the second 150 for the transfer's final reply
		r := s.Curl(t, "/a.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 18: server did not report OK, got 150", r.Result)
		r = s.Curl(t, "/", "-I", "-Q", "DELE /b.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		wantLog(t, srv, []string{"RETR a.txt 150 150 226"}, "RETR")
		wantLog(t, srv, []string{"DELE /b.txt 250 421"}, "DELE")
	})
	t.Run("ftplib", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, sc)
		s := realSession(t, srv, plainMode, nil)
		// ftplib too, and each later reply then answers the command before
		r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "retr", Path: "/a.txt"}, rc.Step{Op: "dele", Path: "/b.txt"}, rc.Step{Op: "noop"})...)
		wantSteps(t, srv, r,
			"connect → ok: 220 mockftpd ready",
			"login → ok: 230 Password ok, continue",
			`retr /a.txt → ftplib.error_reply: 150 0.0 kbytes to download; 2 bytes "a\n"`,
			"dele /b.txt → ftplib.error_reply: 226 Closing transfer connection",
			"noop → ok: 250 Deleted")
		wantLog(t, srv, []string{"DELE /b.txt 250 421"}, "DELE")
	})
}

// TestRealClientsStrict: a strict scenario answers what no rule covers
// with 502, and the journal says why; QUIT still works.
func TestRealClientsStrict(t *testing.T) {
	t.Parallel()
	const sc = `settings: {strict: true}
files: [{path: /pub/a.txt, content: "a\n"}]
rules:
  - {when: {command: [USER, PASS, PWD, EPSV, PASV, TYPE, SIZE, RETR, NLST]}, pass: true}
  - {name: pub only, when: {command: CWD, path: /pub}, pass: true}
`
	t.Run("curl", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, sc)
		s := realSession(t, srv, plainMode, nil)
		r := s.Curl(t, "/pub/a.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		r = s.Curl(t, "/etc/a.txt")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 9: Server denied you to change to the given directory", r.Result)
		wantLog(t, srv, []string{"CWD pub 250", "CWD etc 502"}, "CWD")
		wantNearMiss(t, srv, "CWD", &journal.NearMiss{Rule: "pub only", Why: "path /etc is not /pub"})
		wantLog(t, srv, []string{"QUIT 221", "QUIT 221"}, "QUIT")
	})
	t.Run("ftplib", func(t *testing.T) {
		t.Parallel()
		srv := languageServer(t, sc)
		s := realSession(t, srv, plainMode, nil)
		r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "mkd", Path: "/new"}, rc.Step{Op: "nlst", Path: "/pub"}, rc.Step{Op: "quit"})...)
		wantSteps(t, srv, r,
			"connect → ok: 220 mockftpd ready",
			"login → ok: 230 Password ok, continue",
			"mkd /new → ftplib.error_perm: 502 Command not covered by the recording (strict replay)",
			`nlst /pub → ok: ["pub/a.txt"]`,
			"quit → ok: 221 Goodbye")
		wantNearMiss(t, srv, "MKD", &journal.NearMiss{Why: "no rule for MKD"})
		if rep := srv.Verify(); len(rep.Unmatched) != 1 || rep.Unmatched[0].Why != "no rule for MKD" {
			t.Fatalf("near misses %+v", rep.Unmatched)
		}
	})
}

// wantNearMiss fails the test unless the journal's only entry of verb
// with a near miss has want.
func wantNearMiss(t *testing.T, srv *ftptest.Server, verb string, want *journal.NearMiss) {
	t.Helper()
	var got []journal.NearMiss
	for _, e := range entriesOf(srv, verb) {
		if e.NearMiss != nil {
			got = append(got, *e.NearMiss)
		}
	}
	if len(got) != 1 || got[0] != *want {
		t.Fatalf("%s near misses %+v, want %+v; journal:%s", verb, got, *want, journalText(srv))
	}
}

// TestRealClientsPassiveAddress: {address} in the final reply of a passed
// PASV or EPSV is the address the server advertises, in the reply's own
// form: the client connects to it, and sees the recorded wording.
func TestRealClientsPassiveAddress(t *testing.T) {
	t.Parallel()
	const sc = `files: [{path: /a.txt, content: "a\n"}]
rules:
  - {when: {command: PASV}, pass: true, final: "227 Entering Passive Mode ({address})."}
  - {when: {command: EPSV}, pass: true, final: "229 Entering Extended Passive Mode ({address})"}
`
	for _, c := range []rc.Client{rc.Curl, rc.LFTP, rc.Ftplib} {
		t.Run(string(c), func(t *testing.T) {
			t.Parallel()
			srv := languageServer(t, sc)
			s := realSession(t, srv, plainMode, nil)
			switch c {
			case rc.Curl:
				r := s.Curl(t, "/a.txt")
				wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			case rc.LFTP:
				r := s.LFTP(t, "get /a.txt -o a.txt")
				wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			case rc.Ftplib:
				r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "retr", Path: "/a.txt"})...)
				wantStep(t, srv, r, 2, `retr /a.txt → ok: 226 Closing transfer connection; 2 bytes "a\n"`)
			}
			var passive []string
			for _, e := range entriesOf(srv, "PASV", "EPSV") {
				passive = append(passive, rc.Normalize(e.Replies[len(e.Replies)-1], ""))
			}
			if len(passive) == 0 {
				t.Fatalf("no PASV or EPSV; journal:%s", journalText(srv))
			}
			for _, p := range passive {
				if p != "227 Entering Passive Mode (127,0,0,1,{port})." && p != "229 Entering Extended Passive Mode (|||{port}|)" {
					t.Fatalf("passive reply %q", p)
				}
			}
		})
	}
}
