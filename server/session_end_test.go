package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// TestDisconnectEntries (issue 13.11): every session ends with a
// <disconnect> entry that says why, and WaitSessionEnd finds it without
// polling.
func TestDisconnectEntries(t *testing.T) {
	t.Parallel()
	const rules = `
version: 1
rules:
  - {when: {command: MKD, arg: /close}, reply: 550 gone, then: close}
  - {when: {command: MKD, arg: /reset}, reply: 550 gone, then: reset}
`
	for _, tc := range []struct {
		name   string
		reason string
		opts   []ftptest.Option
		run    func(t *testing.T, srv *ftptest.Server)
	}{
		{"quit", journal.ReasonQuit, nil, func(t *testing.T, srv *ftptest.Server) {
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			c.Cmd(221, "QUIT")
		}},
		{"client closed", journal.ReasonClientClosed, nil, func(t *testing.T, srv *ftptest.Server) {
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			_ = c.Conn.Close()
		}},
		{"closed by rule", journal.ReasonRuleClose, nil, func(t *testing.T, srv *ftptest.Server) {
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			c.Cmd(550, "MKD /close")
		}},
		{"reset by rule", journal.ReasonRuleReset, nil, func(t *testing.T, srv *ftptest.Server) {
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			c.Send("MKD /reset")
		}},
		{"idle timeout", journal.ReasonIdle, []ftptest.Option{ftptest.WithConfig(func(c *server.Config) { c.IdleTimeout = 200 * time.Millisecond })},
			func(t *testing.T, srv *ftptest.Server) {
				c := rawDial(t, srv.Addr())
				c.Login("u", "p")
				c.Expect(421)
			}},
		{"server closed", journal.ReasonServerClosed, []ftptest.Option{ftptest.WithUser("alice", "pw")}, func(t *testing.T, srv *ftptest.Server) {
			c := rawDial(t, srv.Addr())
			c.Expect(220)
			c.Cmd(331, "USER alice")
			c.Cmd(530, "PASS wrong")
		}},
		{"tls failed", journal.ReasonTLSFailed, nil, func(t *testing.T, srv *ftptest.Server) {
			c := rawDial(t, srv.Addr())
			c.Expect(220)
			c.Cmd(234, "AUTH TLS")
			_, _ = c.Conn.Write([]byte("this is no ClientHello\r\n"))
		}},
		{"shutdown", journal.ReasonShutdown, nil, func(t *testing.T, srv *ftptest.Server) {
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			go func() { _ = srv.Shutdown(context.Background()) }()
			c.Expect(421)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := withYAML(t, rules, tc.opts...)
			tc.run(t, srv)
			e, err := srv.WaitSessionEnd(1, clientTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if e.Command != journal.Disconnect || e.Reason != tc.reason || e.Session != 1 || e.Done.IsZero() {
				t.Fatalf("disconnect entry %+v, want reason %q", e, tc.reason)
			}
			es := srv.Journal()
			if last := es[len(es)-1]; last.Command != journal.Disconnect {
				t.Fatalf("the <disconnect> entry is not the session's last: %+v", last)
			}
		})
	}
	srv := ftptest.New(t)
	if _, err := srv.WaitSessionEnd(1, 50*time.Millisecond); err == nil {
		t.Fatal("WaitSessionEnd found the end of a session that never began")
	}
}

// TestCleanClose (issue 13.3): then: close shuts the connection for
// writing (FIN) after its replies and reads what the client still sends,
// so a client that sent its next command at once reads every reply and a
// clean end, never a reset; then: reset is a reset.
func TestCleanClose(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, rules string
		send        string // sent at once, before reading anything
		want        string // the last reply line the client must read
	}{
		{"connect", "- {when: {event: connect}, reply: 421 Too busy, then: close}", "USER a\r\nPASS b\r\n", "421 Too busy"},
		{"USER", "- {when: {command: USER}, reply: 331 Password, then: close}", "USER a\r\nPASS b\r\nSYST\r\n", "331 Password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := withYAML(t, "version: 1\nrules:\n"+tc.rules+"\n")
			for range 20 {
				conn, err := net.DialTimeout("tcp", srv.Addr(), clientTimeout)
				if err != nil {
					t.Fatal(err)
				}
				_ = conn.SetDeadline(time.Now().Add(clientTimeout))
				if _, err := conn.Write([]byte(tc.send)); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(conn)
				_ = conn.Close()
				if err != nil {
					t.Fatalf("read %q, then %v; want a clean end", got, err)
				}
				if lines := strings.Split(strings.TrimSpace(string(got)), "\r\n"); lines[len(lines)-1] != tc.want {
					t.Fatalf("read %q, want it to end with %q", got, tc.want)
				}
			}
		})
	}
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		srv := withYAML(t, "version: 1\nrules:\n- {when: {command: USER}, reply: 530 No, then: reset}\n")
		conn, err := net.DialTimeout("tcp", srv.Addr(), clientTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(clientTimeout))
		_, _ = conn.Write([]byte("USER a\r\n"))
		_, err = io.ReadAll(conn)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("read ended with %v, want a reset", err)
		}
	})
}

// TestSecondUserAfterLogin (issue 13.8): a USER after the login does not
// change the user the journal records or that rules see, until a PASS
// logs the new user in.
func TestSecondUserAfterLogin(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
users: [{name: alice, password: a}, {name: bob, password: b}]
rules:
  - {when: {command: MKD, user: bob}, reply: 550 bob may not}
expect:
  - {command: MKD, user: alice, times: 1}
`)
	c := rawDial(t, srv.Addr())
	c.Login("alice", "a")
	c.Cmd(331, "USER bob")
	c.Cmd(257, "MKD /made")
	c.Cmd(257, "PWD")
	c.Cmd(230, "PASS b") // now bob is logged in
	c.Cmd(550, "MKD /other")
	users := map[string]string{}
	for _, e := range srv.Journal() {
		if e.Command == "MKD" || e.Command == "PWD" {
			users[e.Command+" "+e.Arg] = e.User
		}
	}
	if users["MKD /made"] != "alice" || users["PWD "] != "alice" || users["MKD /other"] != "bob" {
		t.Fatalf("journal users %v", users)
	}
	if rep := srv.Verify(); !rep.OK {
		t.Fatalf("expectations: %s", rep)
	}
}

// logRecorder is a slog handler that keeps the records it gets, one line
// each: "LEVEL message key=value...".
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs(as []slog.Attr) slog.Handler    { return withAttrs{l, as} }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	return l.record(r, nil)
}

func (l *logRecorder) record(r slog.Record, with []slog.Attr) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	add := func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	}
	for _, a := range with {
		add(a)
	}
	r.Attrs(add)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, b.String())
	return nil
}

// withAttrs is a logRecorder with attributes.
type withAttrs struct {
	*logRecorder
	attrs []slog.Attr
}

func (w withAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return withAttrs{w.logRecorder, append(append([]slog.Attr{}, w.attrs...), as...)}
}
func (w withAttrs) Handle(_ context.Context, r slog.Record) error {
	return w.record(r, w.attrs)
}

func (l *logRecorder) has(prefix string, parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestInfoLogs (issue 16.5): at the info level, one line per session start,
// per fired rule and per session end (with its reason); the start-up line
// names a scenario without a name "command line".
func TestInfoLogs(t *testing.T) {
	t.Parallel()
	rec := &logRecorder{}
	srv := withYAML(t, "version: 1\nrules:\n  - {name: no dirs, when: {command: MKD}, reply: 550 No}\n",
		ftptest.WithConfig(func(c *server.Config) { c.Logger = slog.New(rec) }))
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(550, "MKD /x")
	c.Cmd(221, "QUIT")
	if _, err := srv.WaitSessionEnd(1, clientTimeout); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]string{
		{"INFO mockftpd listening", "scenario=command line"},
		{"INFO session started", "session=1"},
		{"INFO rule fired", "rule=no dirs", "command=MKD"},
		{"INFO session ended", "reason=quit", "user=u"},
	} {
		if !rec.has(want[0], want[1:]...) {
			t.Errorf("no log line %q with %v in:\n%s", want[0], want[1:], strings.Join(rec.lines, "\n"))
		}
	}
}

// TestShutdownCutsUpload (issue 14): an upload still running when the
// shutdown's grace period ends keeps what it stored, and the journal and a
// warning say so.
func TestShutdownCutsUpload(t *testing.T) {
	t.Parallel()
	rec := &logRecorder{}
	root := t.TempDir() // a host file shows each byte as it is written
	srv, err := server.Start(server.Config{Root: root, ShutdownGrace: 100 * time.Millisecond, Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(200, "TYPE I")
	dc, err := deadlineDial("tcp", pasvAddr(t, c.Cmd(227, "PASV")))
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	c.Send("STOR /partial.bin")
	c.Expect(150)
	if _, err := dc.Write(bytes.Repeat([]byte{7}, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitCommand("STOR", "", 50*time.Millisecond); err == nil {
		t.Fatal("the upload ended early")
	}
	for deadline := time.Now().Add(clientTimeout); ; time.Sleep(5 * time.Millisecond) {
		if fi, err := os.Stat(filepath.Join(root, "partial.bin")); err == nil && fi.Size() == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first bytes never arrived")
		}
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var stor *journal.Entry
	for _, e := range srv.Journal().Entries() {
		if e.Command == "STOR" {
			stor = &e
		}
	}
	if stor == nil || stor.Transfer == nil || stor.Transfer.End != "shutdown" || stor.Transfer.BytesIn != 1000 {
		t.Fatalf("journal entry of the upload: %+v", stor)
	}
	if b, err := srv.ReadFile("/partial.bin"); err != nil || len(b) != 1000 {
		t.Fatalf("partial file: %d bytes, %v", len(b), err)
	}
	if !rec.has("WARN upload cut short by the shutdown", "path=/partial.bin") {
		t.Fatalf("no warning about the cut upload in:\n%s", strings.Join(rec.lines, "\n"))
	}
}

// TestCloseWithAClientThatDoesNotRead: a session whose reply write is
// blocked on a client that reads nothing does not hold up Close.
func TestCloseWithAClientThatDoesNotRead(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 60000)
	srv, err := server.Start(server.Config{Scenario: mustScenario(t, "version: 1\nrules:\n  - {when: {command: NOOP}, reply: {code: 200, text: \""+big+"\"}}\n")})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", srv.Addr(), clientTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(clientTimeout))
	for range 2000 { // 120 MB of replies: the server's write blocks
		if _, err := conn.Write([]byte("NOOP\r\n")); err != nil {
			break
		}
	}
	// wait until the replies stop: the write is blocked
	for i, n, last := 0, 0, -1; n != last && i < 200; i++ {
		time.Sleep(50 * time.Millisecond)
		last, n = n, len(srv.Journal().Entries())
	}
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(clientTimeout):
		t.Fatal("Close is stuck behind a blocked write")
	}
}

func mustScenario(t *testing.T, text string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("<scenario>", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
