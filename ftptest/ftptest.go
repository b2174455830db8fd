// Package ftptest starts mock FTP servers for Go tests, in the manner of
// net/http/httptest: one line starts a server on a free loopback port, and
// the test's cleanup stops it.
//
//	srv := ftptest.New(t, ftptest.WithScenarioFile("testdata/disk-full.yaml"))
//	c, _ := ftp.Dial(srv.Addr())
//
// Servers share no state, the scenario a test passes included (each server
// works on its own copy): run as many in parallel as you like.
package ftptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/scenarios"
	"github.com/mockftpd/mockftpd/server"
)

// Server is a mock FTP server started for a test.
type Server struct {
	t      testing.TB
	srv    *server.Server
	verify bool

	uiOnce sync.Once
	uiStop sync.Once
	api    *admin.API
	web    *httptest.Server // the admin API, started by UIURL
}

// options is what the Options set.
type options struct {
	cfg    server.Config
	verify bool
}

// Option configures a test server.
type Option func(t testing.TB, o *options)

// New starts a server on 127.0.0.1 with a free port, fails the test if it
// cannot, and closes it (waiting for all of its goroutines) when the test
// ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{cfg: server.Config{Listen: "127.0.0.1:0"}}
	for _, opt := range opts {
		opt(t, &o)
	}
	srv, err := server.Start(o.cfg)
	if err != nil {
		t.Fatalf("ftptest: start server: %v", err)
	}
	s := &Server{t: t, srv: srv, verify: o.verify}
	t.Cleanup(s.cleanup)
	return s
}

// cleanup closes the server and, with VerifyOnCleanup, checks the
// scenario's expectations.
func (s *Server) cleanup() {
	_ = s.Close()
	if s.verify {
		if rep := s.srv.Verify(); !rep.OK {
			s.t.Errorf("ftptest: unmet expectations:\n%s", rep)
		}
	}
}

// WithScenario serves a scenario built in Go. The server works on a copy:
// the same scenario may serve several servers at once.
func WithScenario(sc *scenario.Scenario) Option {
	return func(t testing.TB, o *options) { o.cfg.Scenario = sc }
}

// WithScenarioFile serves a scenario file, or with "builtin:NAME" one of
// the ready-made scenarios of package scenarios (e.g.
// "builtin:codes/452-stor"); a bad file fails the test with its located
// errors.
func WithScenarioFile(path string) Option {
	return func(t testing.TB, o *options) {
		t.Helper()
		sc, err := scenarios.LoadFile(path)
		if err != nil {
			t.Fatalf("ftptest: %v", err)
		}
		o.cfg.Scenario = sc
	}
}

// WithScenarioText serves a scenario given as YAML or JSON text.
func WithScenarioText(text string) Option {
	return func(t testing.TB, o *options) {
		t.Helper()
		sc, err := scenario.Parse("<scenario>", []byte(text))
		if err != nil {
			t.Fatalf("ftptest: %v", err)
		}
		o.cfg.Scenario = sc
	}
}

// WithUser adds an account; once any is added, only listed users log in.
func WithUser(name, password string) Option {
	return func(t testing.TB, o *options) {
		o.cfg.Users = append(o.cfg.Users, server.User{Name: name, Password: password})
	}
}

// WithRoot serves a host directory (such as t.TempDir()) instead of memory.
func WithRoot(dir string) Option {
	return func(t testing.TB, o *options) { o.cfg.Root = dir }
}

// WithTLS serves FTPS: server.TLSExplicit (AUTH TLS) or server.TLSImplicit
// (TLS from the first byte), with a self-signed certificate that
// Certificate and ClientTLSConfig give.
func WithTLS(mode server.TLSMode) Option {
	return func(t testing.TB, o *options) { o.cfg.TLS = mode }
}

// WithConfig edits the server configuration directly.
func WithConfig(edit func(cfg *server.Config)) Option {
	return func(t testing.TB, o *options) { edit(&o.cfg) }
}

// VerifyOnCleanup fails the test, when it ends, if an expectation of the
// scenario is unmet; the report says which and what happened.
func VerifyOnCleanup() Option {
	return func(t testing.TB, o *options) { o.verify = true }
}

// Addr is the control address, e.g. "127.0.0.1:40123".
func (s *Server) Addr() string { return s.srv.Addr() }

// Close stops the server at once, and its live page if UIURL started it
// (the test's cleanup does it too).
func (s *Server) Close() error {
	s.uiOnce.Do(func() {}) // no admin API from now on
	s.uiStop.Do(func() {
		if s.web != nil {
			s.api.EndStreams()
			s.web.Close()
		}
	})
	return s.srv.Close()
}

// Shutdown stops the server the way SIGTERM stops mockftpd: no new
// connections, transfers in flight may finish within the grace period.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Fs is the filesystem the server serves, to seed files or read what
// clients stored while the server runs.
func (s *Server) Fs() afero.Fs { return s.srv.Fs() }

// ReadFile returns a file's content, e.g. what a client uploaded.
func (s *Server) ReadFile(name string) ([]byte, error) { return s.srv.ReadFile(name) }

// WriteFile seeds a file (creating its directories).
func (s *Server) WriteFile(name string, data []byte) error { return s.srv.WriteFile(name, data) }

// Journal returns every session's connection, commands, replies, fired
// rules, transfers and end, oldest first. A reply is in it before the
// client can read it.
func (s *Server) Journal() []journal.Entry { return s.srv.Journal().Entries() }

// Uploads lists the uploads closed so far, oldest first.
func (s *Server) Uploads() []server.Upload { return s.srv.Uploads() }

// Sessions is the number of control connections open now.
func (s *Server) Sessions() int { return s.srv.Sessions() }

// Verify checks the scenario's expectations against the journal.
func (s *Server) Verify() scenario.Report { return s.srv.Verify() }

// WaitCommand waits until a client has sent verb (and, when arg is not
// empty, with that argument) and got its final reply, or the timeout
// passes.
func (s *Server) WaitCommand(verb, arg string, timeout time.Duration) (journal.Entry, error) {
	return s.srv.WaitCommand(verb, arg, timeout)
}

// WaitUpload waits until a complete upload of name has been stored, or
// the timeout passes.
func (s *Server) WaitUpload(name string, timeout time.Duration) (server.Upload, error) {
	return s.srv.WaitUpload(name, timeout)
}

// WaitSessionEnd waits until session n (1 for the first connection) has
// ended, or the timeout passes, and returns its "<disconnect>" entry, whose
// Reason says why (journal.ReasonQuit, journal.ReasonClientClosed...).
func (s *Server) WaitSessionEnd(n int, timeout time.Duration) (journal.Entry, error) {
	return s.srv.WaitSessionEnd(n, timeout)
}

// State is the scenario state ("" at start).
func (s *Server) State() string { return s.srv.State() }

// SetState moves the scenario to state, as a rule's next_state does.
func (s *Server) SetState(state string) { s.srv.SetState(state) }

// AddRule puts a rule in front of the scenario's rules, e.g.
// srv.AddRule(scenario.On("STOR").Reply(452, "").Build()).
func (s *Server) AddRule(r scenario.Rule) error { return s.srv.AddRule(r) }

// ClearRules removes every rule: commands reach the real server.
func (s *Server) ClearRules() { s.srv.ClearRules() }

// SetScenario replaces the scenario; connected sessions follow its rules
// from their next command.
func (s *Server) SetScenario(sc *scenario.Scenario) error { return s.srv.SetScenario(sc) }

// Reset brings counters, state, session numbering, the journal and the
// recorded uploads back to the start, and an in-memory filesystem back to
// the scenario's files.
func (s *Server) Reset() error { return s.srv.Reset() }

// UIURL starts the server's admin API on a free loopback port, the first
// time it is called, and returns the address of its live page, e.g.
// "http://127.0.0.1:40125/ui/": open it in a browser to watch what the
// test's client sends and gets, which rule answered and why (keep the test
// running while you look, e.g. with a time.Sleep while debugging). The
// admin API has no token (it listens on loopback only) and stops with the
// server.
func (s *Server) UIURL() string {
	s.uiOnce.Do(func() {
		s.api = admin.New(s.srv, admin.Options{})
		s.web = httptest.NewServer(s.api)
		s.t.Logf("ftptest: live page of %s at %s/ui/", s.srv.Addr(), s.web.URL)
	})
	if s.web == nil {
		s.t.Errorf("ftptest: UIURL called after the server was closed")
		return ""
	}
	return s.web.URL + "/ui/"
}

// Certificate is the server's TLS certificate (see WithTLS).
func (s *Server) Certificate() *x509.Certificate {
	cert, err := s.srv.Certificate()
	if err != nil {
		s.t.Fatalf("ftptest: %v", err)
	}
	return cert
}

// ClientTLSConfig is a client TLS configuration that trusts the server's
// certificate, for its FTPS connections (control and data).
func (s *Server) ClientTLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(8)}
}
