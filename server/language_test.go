package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/server"
)

// entriesOf lists the journal entries of verb.
func entriesOf(srv *ftptest.Server, verb string) []journal.Entry {
	var out []journal.Entry
	for _, e := range srv.Journal() {
		if e.Command == verb {
			out = append(out, e)
		}
	}
	return out
}

// TestPathResolvedAgainstTheWorkingDirectory: a rule's path matches the
// path a command acts on, from the user's home and after CWD and CDUP, and
// the journal records it.
func TestPathResolvedAgainstTheWorkingDirectory(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `version: 1
users: [{name: alice, password: pw, home: /alice}]
files: [{path: /alice/in/a.csv, content: "a"}, {path: /alice/b.csv, content: "b"}]
rules:
  - {name: inbox, when: {command: RETR, path: {glob: "/alice/in/*.csv"}}, reply: 450 Busy}
`)
	c := rawDial(t, srv.Addr())
	c.Login("alice", "pw")
	c.Cmd(200, "TYPE I")
	c.Cmd(450, "RETR in/a.csv") // from the home
	c.Cmd(250, "CWD in")
	c.Cmd(450, "RETR a.csv")
	c.Cmd(450, "RETR ../in/./a.csv")
	c.Cmd(250, "CDUP")
	c.Cmd(213, "SIZE b.csv")
	var got []string
	for _, e := range srv.Journal() {
		if !e.Event() {
			got = append(got, e.Command+" "+e.Path+" "+e.Rule)
		}
	}
	want := "USER  |PASS  |TYPE  |RETR /alice/in/a.csv inbox|CWD /alice/in |RETR /alice/in/a.csv inbox|RETR /alice/in/a.csv inbox|CDUP /alice |SIZE /alice/b.csv "
	if strings.Join(got, "|") != want {
		t.Errorf("journal:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

// TestStrictFromConfig: Config.Strict makes any scenario strict: what no
// rule covers gets 502 and a near miss in the journal; QUIT still works.
func TestStrictFromConfig(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `version: 1
rules:
  - {when: {command: [USER, PASS]}, pass: true}
  - {name: pub, when: {command: CWD, path: /pub}, pass: true}
`, ftptest.WithConfig(func(c *server.Config) { c.Strict = true }))
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(502, "NOOP")
	c.Cmd(502, "CWD /etc")
	c.Cmd(221, "QUIT")
	if _, err := srv.WaitSessionEnd(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range srv.Journal() {
		if e.NearMiss != nil {
			got = append(got, e.Command+": "+e.NearMiss.Rule+": "+e.NearMiss.Why)
		}
	}
	if want := "NOOP: : no rule for NOOP|CWD: pub: path /etc is not /pub"; strings.Join(got, "|") != want {
		t.Errorf("near misses %q, want %q", got, want)
	}
	if e := entriesOf(srv, "NOOP"); len(e) != 1 || e[0].Replies[0] != "502 Command not covered by the recording (strict replay)" {
		t.Errorf("NOOP %+v", e)
	}
}

// TestScriptedLogins: a scripted greeting of 230 logs in as the scenario's
// first user (its home is the working directory); login: false keeps a
// 230 from logging in; a 202 with login: NAME logs in as NAME.
func TestScriptedLogins(t *testing.T) {
	t.Parallel()
	const users = `users: [{name: carol, password: pw, home: /carol}, {name: dave, password: pw, home: /dave}]
`
	srv := withYAML(t, "version: 1\n"+users+"rules: [{when: {event: connect}, reply: 230 Hi}]\n")
	c := rawDial(t, srv.Addr())
	c.Expect(230)
	if got := c.Cmd(257, "PWD"); !strings.HasPrefix(got, `"/carol"`) {
		t.Errorf("PWD %q", got)
	}
	if e := entriesOf(srv, "PWD"); e[0].User != "carol" {
		t.Errorf("PWD by %q", e[0].User)
	}

	srv = withYAML(t, "version: 1\n"+users+"rules: [{when: {command: PASS}, reply: 230 Hi, login: false}]\n")
	c = rawDial(t, srv.Addr())
	c.Expect(220)
	c.Cmd(331, "USER carol")
	c.Cmd(230, "PASS x")
	c.Cmd(530, "PWD")

	srv = withYAML(t, "version: 1\n"+users+"rules: [{when: {command: PASS}, reply: 202 Fine, login: dave}]\n")
	c = rawDial(t, srv.Addr())
	c.Expect(220)
	c.Cmd(331, "USER carol")
	c.Cmd(202, "PASS x")
	if got := c.Cmd(257, "PWD"); !strings.HasPrefix(got, `"/dave"`) {
		t.Errorf("PWD %q", got)
	}
	if e := entriesOf(srv, "PWD"); e[0].User != "dave" {
		t.Errorf("PWD by %q", e[0].User)
	}
}

// TestPassiveAddressTemplate: {address} in the final reply of PASV and
// EPSV takes the address the server advertises, which the client can
// connect to.
func TestPassiveAddressTemplate(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `version: 1
rules:
  - {when: {command: PASV}, pass: true, final: "227 Passive, as recorded: ({address}) ok"}
  - {when: {command: EPSV}, pass: true, final: {raw: "229-Extended\r\n229 Here: ({address})\r\n"}}
`)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	text := c.Cmd(227, "PASV")
	if !strings.HasPrefix(text, "Passive, as recorded: (127,0,0,1,") || !strings.HasSuffix(text, ") ok") {
		t.Fatalf("PASV: %q", text)
	}
	d, err := deadlineDial("tcp", pasvAddr(t, text))
	if err != nil {
		t.Fatalf("the advertised address does not answer: %v", err)
	}
	_ = d.Close()
	text = c.Cmd(229, "EPSV")
	if !strings.HasPrefix(text, "Extended\nHere: (|||") || !strings.HasSuffix(text, "|)") {
		t.Fatalf("EPSV: %q", text)
	}
}
