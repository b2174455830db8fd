// Package ftptest starts mock FTP servers for Go tests, in the manner of
// net/http/httptest: one line starts a server on a free loopback port, and
// the test's cleanup stops it.
//
//	srv := ftptest.New(t, ftptest.WithScenarioFile("testdata/disk-full.yaml"))
//	c, _ := ftp.Dial(srv.Addr())
package ftptest

import (
	"testing"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/scenarios"
	"github.com/mockftpd/mockftpd/server"
)

// Server is a mock FTP server started for a test. Everything of
// server.Server is available on it: Addr, Fs, ReadFile, WriteFile,
// WaitUpload, WaitCommand, Journal, Verify...
type Server struct {
	*server.Server
}

// Option configures a test server.
type Option func(t testing.TB, cfg *server.Config)

// New starts a server on 127.0.0.1 with a free port, fails the test if it
// cannot, and closes it (waiting for all of its goroutines) when the test
// ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := server.Config{Listen: "127.0.0.1:0"}
	for _, o := range opts {
		o(t, &cfg)
	}
	srv, err := server.Start(cfg)
	if err != nil {
		t.Fatalf("ftptest: start server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &Server{Server: srv}
}

// WithScenario serves a scenario built in Go.
func WithScenario(sc *scenario.Scenario) Option {
	return func(t testing.TB, cfg *server.Config) { cfg.Scenario = sc }
}

// WithScenarioFile serves a scenario file, or with "builtin:NAME" one of
// the ready-made scenarios of package scenarios (e.g.
// "builtin:codes/452-stor"); a bad file fails the test with its located
// errors.
func WithScenarioFile(path string) Option {
	return func(t testing.TB, cfg *server.Config) {
		t.Helper()
		sc, err := scenarios.LoadFile(path)
		if err != nil {
			t.Fatalf("ftptest: %v", err)
		}
		cfg.Scenario = sc
	}
}

// WithScenarioText serves a scenario given as YAML or JSON text.
func WithScenarioText(text string) Option {
	return func(t testing.TB, cfg *server.Config) {
		t.Helper()
		sc, err := scenario.Parse("<scenario>", []byte(text))
		if err != nil {
			t.Fatalf("ftptest: %v", err)
		}
		cfg.Scenario = sc
	}
}

// WithUser adds an account; once any is added, only listed users log in.
func WithUser(name, password string) Option {
	return func(t testing.TB, cfg *server.Config) {
		cfg.Users = append(cfg.Users, server.User{Name: name, Password: password})
	}
}

// WithRoot serves a host directory (such as t.TempDir()) instead of memory.
func WithRoot(dir string) Option {
	return func(t testing.TB, cfg *server.Config) { cfg.Root = dir }
}

// WithConfig edits the server configuration directly.
func WithConfig(edit func(cfg *server.Config)) Option {
	return func(t testing.TB, cfg *server.Config) { edit(cfg) }
}
