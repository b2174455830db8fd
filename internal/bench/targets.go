package bench

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"strconv"
	"strings"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// Target is a running FTP server under measurement.
type Target interface {
	// Addr is the control address.
	Addr() string
	// WriteFile seeds a file (the limit server only records its size).
	WriteFile(name string, data []byte) error
	// Close stops the server.
	Close() error
}

// Names of the targets, as the figures show them.
const (
	Mockftpd = "mockftpd"
	Baseline = "baseline"
	Limit    = "limit"
)

// Kinds lists the targets in report order.
var Kinds = []string{Mockftpd, Baseline, Limit}

// Start starts a target of the given kind; rules is the number of
// non-matching scenario rules mockftpd carries (ignored by the others).
func Start(kind string, rules int) (Target, error) {
	switch kind {
	case Mockftpd:
		return StartMockftpd(rules)
	case Baseline:
		return StartBaseline()
	case Limit:
		return StartLimit()
	}
	return nil, fmt.Errorf("unknown target %q", kind)
}

// ruleVerbs are the verbs the benchmark scenario's rules name: the
// measured commands themselves, so that every rule is a candidate the
// engine must check (and reject on its argument) for them.
var ruleVerbs = []string{"NOOP", "PWD", "RETR", "STOR", "LIST", "NLST", "MLSD", "USER", "PASS", "EPSV", "TYPE", "QUIT", "DELE"}

// Scenario returns a scenario of n rules that never match what the
// benchmarks send: each names a measured verb with an exact argument no
// benchmark uses, and replies 550.
func Scenario(n int) *scenario.Scenario {
	sc := scenario.New("bench")
	for i := range n {
		v := ruleVerbs[i%len(ruleVerbs)]
		sc.Rule(scenario.On(v).Arg("/never/"+strconv.Itoa(i)).Reply(550, "never"))
	}
	return sc
}

// ScenarioOtherVerbs returns a scenario of n rules that name verbs the
// benchmarks never send (the engine's verb index skips them).
func ScenarioOtherVerbs(n int) *scenario.Scenario {
	other := []string{"SITE", "RNFR", "RNTO", "MKD", "RMD", "SIZE", "MDTM", "APPE", "STOU", "CWD", "CDUP", "REST", "ALLO"}
	sc := scenario.New("bench-other")
	for i := range n {
		v := other[i%len(other)]
		sc.Rule(scenario.On(v).Arg("/never/"+strconv.Itoa(i)).Reply(550, "never"))
	}
	return sc
}

// MockTarget is mockftpd embedded in the process.
type MockTarget struct{ *server.Server }

// StartMockftpd starts mockftpd with its default configuration (in-memory
// filesystem, anyone may log in) and a scenario of rules non-matching rules.
func StartMockftpd(rules int) (*MockTarget, error) {
	return StartMockftpdScenario(Scenario(rules))
}

// StartMockftpdScenario starts mockftpd with sc.
func StartMockftpdScenario(sc *scenario.Scenario) (*MockTarget, error) {
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0", Scenario: sc})
	if err != nil {
		return nil, err
	}
	return &MockTarget{srv}, nil
}

// BaselineTarget is bare ftpserverlib on afero's MemMapFs: no engine.
type BaselineTarget struct {
	ftp *ftpserver.FtpServer
	fs  afero.Fs
	ln  net.Listener
}

// baseDriver is the smallest ftpserverlib main driver: anyone logs in and
// sees the whole MemMapFs.
type baseDriver struct {
	fs       afero.Fs
	settings *ftpserver.Settings
}

func (d *baseDriver) GetSettings() (*ftpserver.Settings, error) { return d.settings, nil }
func (d *baseDriver) ClientConnected(ftpserver.ClientContext) (string, error) {
	return "baseline ready", nil
}
func (d *baseDriver) ClientDisconnected(ftpserver.ClientContext) {}
func (d *baseDriver) AuthUser(_ ftpserver.ClientContext, _, _ string) (ftpserver.ClientDriver, error) {
	return d.fs, nil
}
func (d *baseDriver) GetTLSConfig() (*tls.Config, error) {
	return nil, errors.New("no TLS")
}

// StartBaseline starts bare ftpserverlib v0.32.3 on a fresh MemMapFs.
func StartBaseline() (*BaselineTarget, error) {
	fs := afero.NewMemMapFs()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &baseDriver{fs: fs, settings: &ftpserver.Settings{Listener: ln}}
	s := ftpserver.NewFtpServer(d)
	s.Logger = slog.New(slog.DiscardHandler)
	if err := s.Listen(); err != nil {
		_ = ln.Close()
		return nil, err
	}
	go func() { _ = s.Serve() }()
	return &BaselineTarget{ftp: s, fs: fs, ln: ln}, nil
}

// Addr is the control address.
func (b *BaselineTarget) Addr() string { return b.ln.Addr().String() }

// Fs is the served filesystem.
func (b *BaselineTarget) Fs() afero.Fs { return b.fs }

// WriteFile seeds a file.
func (b *BaselineTarget) WriteFile(name string, data []byte) error {
	p := path.Clean("/" + name)
	if err := b.fs.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	return afero.WriteFile(b.fs, p, data, 0o644)
}

// Close stops accepting; sessions end when their clients go.
func (b *BaselineTarget) Close() error { return b.ftp.Stop() }

// dirOf splits a path into its cleaned directory and base name.
func dirOf(name string) (string, string) {
	p := path.Clean("/" + name)
	return path.Dir(p), path.Base(p)
}

// trimArg drops LIST options such as -la.
func trimArg(arg string) string {
	f := strings.Fields(arg)
	for len(f) > 0 && strings.HasPrefix(f[0], "-") {
		f = f[1:]
	}
	return strings.Join(f, " ")
}
