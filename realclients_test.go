package mockftpd_test

// Shared helpers of the tests that drive real FTP clients (curl, lftp,
// Python ftplib) through internal/realclient.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/server"
)

// realServer starts a server for a client in mode: implicit FTPS needs a
// server that speaks TLS from the first byte, explicit FTPS one that
// offers AUTH TLS; plain clients get the default server.
func realServer(t *testing.T, mode rc.Mode, opts ...ftptest.Option) *ftptest.Server {
	t.Helper()
	switch mode.TLS {
	case rc.Explicit:
		opts = append(opts, ftptest.WithConfig(func(c *server.Config) { c.TLS = server.TLSExplicit }))
	case rc.Implicit:
		opts = append(opts, ftptest.WithConfig(func(c *server.Config) { c.TLS = server.TLSImplicit }))
	}
	return ftptest.New(t, opts...)
}

// realSession is a client session on srv, in mode, with a working
// directory of its own holding files (name → content) to upload.
func realSession(t *testing.T, srv *ftptest.Server, mode rc.Mode, files map[string]string) rc.Session {
	t.Helper()
	s := rc.Session{Addr: srv.Addr(), Mode: mode, Dir: t.TempDir()}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// localFile reads a file the client wrote in its working directory.
func localFile(t *testing.T, s rc.Session, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, name))
	if err != nil {
		t.Fatalf("the client wrote no %s: %v", name, err)
	}
	return string(b)
}

// journalText shows the journal for a failure message: one line per
// command, with its session, codes and transfer.
func journalText(srv *ftptest.Server) string {
	var b strings.Builder
	for _, e := range srv.Journal() {
		fmt.Fprintf(&b, "\n\t#%d %s %s %v", e.Session, e.Command, e.Arg, e.Codes)
		if e.Transfer != nil {
			fmt.Fprintf(&b, " %s %s in=%d out=%d", e.Transfer.Mode, e.Transfer.End, e.Transfer.BytesIn, e.Transfer.BytesOut)
		}
	}
	return b.String()
}

// entriesOf lists the journal entries of the verbs, in order.
func entriesOf(srv *ftptest.Server, verbs ...string) []journal.Entry {
	var out []journal.Entry
	for _, e := range srv.Journal() {
		if slices.Contains(verbs, e.Command) {
			out = append(out, e)
		}
	}
	return out
}

// commandLog is the verbs, arguments and codes of the journal entries of
// verbs, e.g. "RETR export.csv 450": what a test compares.
func commandLog(srv *ftptest.Server, verbs ...string) []string {
	var out []string
	for _, e := range entriesOf(srv, verbs...) {
		s := e.Command
		if e.Arg != "" && !e.Event() { // an event's argument is the client's address
			s += " " + rc.Normalize(e.Arg, "")
		}
		for _, c := range e.Codes {
			s += fmt.Sprintf(" %d", c)
		}
		out = append(out, s)
	}
	return out
}

// wantLog fails the test unless the journal's entries of verbs are want.
func wantLog(t *testing.T, srv *ftptest.Server, want []string, verbs ...string) {
	t.Helper()
	if got := commandLog(srv, verbs...); !slices.Equal(got, want) {
		t.Fatalf("the server saw %q, want %q; journal:%s", got, want, journalText(srv))
	}
}

// wantStored fails the test unless the server holds content at path.
func wantStored(t *testing.T, srv *ftptest.Server, path, content string) {
	t.Helper()
	b, err := srv.ReadFile(path)
	if err != nil || string(b) != content {
		t.Fatalf("the server has %s = %q (%v), want %q; journal:%s", path, b, err, content, journalText(srv))
	}
}

// wantAbsent fails the test if the server holds path.
func wantAbsent(t *testing.T, srv *ftptest.Server, path string) {
	t.Helper()
	if b, err := srv.ReadFile(path); err == nil {
		t.Fatalf("the server has %s = %q, want none; journal:%s", path, b, journalText(srv))
	}
}

// wantObserved fails the test unless a client observed want; got is the
// client's Observed() and run its Result (for the failure message).
func wantObserved(t *testing.T, srv *ftptest.Server, client rc.Client, got, want string, run rc.Result) {
	t.Helper()
	if got != want {
		t.Fatalf("%s observed %q, want %q\n%s\njournal:%s", client.Name(), got, want, run, journalText(srv))
	}
}

// wantSteps fails the test unless each ftplib step observed what want
// says, in order (see StepResult.Observed).
func wantSteps(t *testing.T, srv *ftptest.Server, r rc.FtplibResult, want ...string) {
	t.Helper()
	var got []string
	for _, s := range r.Steps {
		got = append(got, s.Step.String()+" → "+s.Observed())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Python ftplib observed:\n\t%s\nwant:\n\t%s\n%s\njournal:%s",
			strings.Join(got, "\n\t"), strings.Join(want, "\n\t"), r.Result, journalText(srv))
	}
}

// wantFirstSteps is wantSteps for the first len(want) steps.
func wantFirstSteps(t *testing.T, srv *ftptest.Server, r rc.FtplibResult, want ...string) {
	t.Helper()
	if len(r.Steps) > len(want) {
		r.Steps = r.Steps[:len(want)]
	}
	wantSteps(t, srv, r, want...)
}

// wantStep fails the test unless ftplib's step i observed want.
func wantStep(t *testing.T, srv *ftptest.Server, r rc.FtplibResult, i int, want string) {
	t.Helper()
	if i >= len(r.Steps) {
		t.Fatalf("Python ftplib ran %d steps, want step %d: %s\n%s", len(r.Steps), i, want, r.Result)
	}
	if got := r.Steps[i].Step.String() + " → " + r.Steps[i].Observed(); got != want {
		t.Fatalf("Python ftplib observed %q, want %q\n%s\njournal:%s", got, want, r.Result, journalText(srv))
	}
}

// sha256Hex is the hash ftplib's driver reports for a download.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// atLeast fails the test if d is shorter than want, with a margin for
// the clocks of client and server.
func atLeast(t *testing.T, what string, d, want time.Duration) {
	t.Helper()
	if d < want-100*time.Millisecond {
		t.Fatalf("%s took %v, want at least %v", what, d, want)
	}
}
