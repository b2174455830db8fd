package record_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/record"
)

// An upstream that hangs up mid-session: the client sees it through the
// proxy, the transcript says so, and the scenario replays the hang-up.
func TestUpstreamClosesMidSession(t *testing.T) {
	up := ftptest.New(t, ftptest.WithScenarioText(`
version: 1
files: [{path: /a.txt, content: "x"}]
rules:
  - when: {command: RETR}
    reply: 421 Going down
    then: close
`))
	p, addr := startProxy(t, record.Config{Upstream: up.Addr()})
	c := testclient.RawDial(t, addr)
	c.Login("u", "p")
	c.Cmd(257, "PWD")
	c.Cmd(421, "RETR /a.txt")
	if _, _, err := c.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the 421: %v, want EOF", err)
	}
	tr := waitSessions(t, p, 1)
	s := tr.Sessions[0]
	if s.End != "upstream closed the connection" || !s.UpstreamClosed {
		t.Fatalf("end %q (upstream closed %v)", s.End, s.UpstreamClosed)
	}
	y, err := record.Scenario(tr, record.Options{}).Format()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "when: {command: RETR, arg: /a.txt}\n    reply: 421 Going down\n    then: close\n") {
		t.Fatalf("the hang-up is not replayed:\n%s", y)
	}
	if !strings.Contains(string(y), "when: {command: PWD}\n    reply: 257 \"/\" is the current directory\n") {
		t.Fatalf("what came before the hang-up is lost:\n%s", y)
	}
	replay := ftptest.New(t, ftptest.WithScenarioText(string(y)))
	rc := testclient.RawDial(t, replay.Addr())
	rc.Login("u", "p")
	rc.Cmd(421, "RETR /a.txt")
	if _, _, err := rc.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("replay after the 421: %v, want EOF", err)
	}
}

// An upstream that cannot be reached gets the client a 421 saying why;
// the recording has no exchange for it.
func TestUpstreamUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	_ = l.Close()
	p, addr := startProxy(t, record.Config{Upstream: dead, DialTimeout: 2 * time.Second})
	c := testclient.RawDial(t, addr)
	code, text, err := c.Read()
	if code != 421 || !strings.Contains(text, "cannot reach the upstream server "+dead) {
		t.Fatalf("got %d %q, %v", code, text, err)
	}
	tr := waitSessions(t, p, 1)
	if len(tr.Sessions[0].Exchanges) != 0 || !strings.Contains(tr.Sessions[0].End, "cannot reach") {
		t.Fatalf("session %+v", tr.Sessions[0])
	}
	if rec := record.Scenario(tr, record.Options{}); len(rec.Rules) != 0 || rec.Settings.Banner != "" {
		t.Fatalf("a refused session became rules: %+v", rec)
	}
}

// A client that hangs up in the middle of a download, on both connections
// and without a word: the proxy cuts the upstream's transfer, ends the
// session, keeps what came before and what moved, and goes on serving.
func TestClientDisconnectsMidTransfer(t *testing.T) {
	up := ftptest.New(t, ftptest.WithScenarioText("version: 1\nfiles: [{path: /big.bin, size: 64MiB}, {path: /a.txt, content: \"x\"}]\n"))
	p, addr := startProxy(t, record.Config{Upstream: up.Addr(), MaxFileBytes: 1 << 16})
	c := testclient.RawDial(t, addr)
	c.Login("u", "p")
	c.Cmd(200, "TYPE I")
	c.Cmd(213, "SIZE /a.txt")
	d, err := net.DialTimeout("tcp", testclient.PasvAddr(t, c.Cmd(227, "PASV")), testclient.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	c.Cmd(150, "RETR /big.bin")
	if _, err := io.ReadFull(d, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	_ = c.Conn.Close()
	tr := waitSessions(t, p, 1)
	s := tr.Sessions[0]
	if s.End != "client closed the connection" || s.UpstreamClosed {
		t.Errorf("end %q (upstream closed %v)", s.End, s.UpstreamClosed)
	}
	var retr *record.Exchange
	for _, e := range s.Exchanges {
		if e.Verb == "RETR" {
			retr = e
		}
	}
	if retr == nil || retr.Transfer == nil {
		t.Fatalf("no RETR transfer in %+v", s)
	}
	if tf := retr.Transfer; tf.Size < 1<<20 || tf.Size >= 64<<20 || !tf.Truncated || len(tf.Data) != 1<<16 {
		t.Fatalf("transfer size %d, truncated %v, kept %d", tf.Size, tf.Truncated, len(tf.Data))
	}
	// the proxy goes on
	c2 := testclient.Login(t, addr, "u", "p")
	if _, err := c2.CurrentDir(); err != nil {
		t.Fatal(err)
	}
	// what came before is kept; what is known of the cut file (not its
	// size) is not guessed
	rec := record.Scenario(tr, record.Options{})
	y, err := rec.Format()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"when: {command: USER, arg: u}", "when: {command: SIZE, arg: /a.txt}\n    reply: 213 1\n"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("the scenario lacks %q:\n%s", want, y)
		}
	}
	for _, f := range rec.Files {
		if f.Path == "/big.bin" && (f.Content != "" || f.Size != 0 && f.Size < 1<<20) {
			t.Fatalf("cut download became %+v", f)
		}
	}
}
