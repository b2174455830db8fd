// Package realclient drives real FTP clients, curl, lftp and Python's
// ftplib, as subprocesses against a mockftpd on loopback, for mockftpd's
// own tests: what those clients observe is what mockftpd's users see.
//
// Every run is bounded: the client gets a network timeout of its own
// (Session.Timeout), and the whole process group is killed when
// Session.Limit passes. A client that is not installed skips the test with
// a message saying how to install it; under CI=true it fails the test.
//
//	s := realclient.Session{Addr: srv.Addr(), Mode: realclient.Mode{TLS: realclient.Explicit}}
//	r := s.Curl(t, "/pub/file.txt")             // curl: exit code, stdout, error number and message
//	l := s.LFTP(t, "get /pub/file.txt -o f")     // lftp: exit status and error lines
//	p := s.Ftplib(t, s.FtplibLogin(realclient.Step{Op: "retr", Path: "/pub/file.txt"})...)
package realclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Client is a real FTP client the tests drive.
type Client string

// The clients.
const (
	Curl   Client = "curl"   // curl, the command-line tool (libcurl)
	LFTP   Client = "lftp"   // lftp, the command-line FTP client
	Ftplib Client = "ftplib" // Python 3's ftplib, driven by a script of steps
)

// All lists the clients, in the order the documentation shows them.
var All = []Client{Curl, Ftplib, LFTP}

// Name is the client's name as documents show it.
func (c Client) Name() string {
	if c == Ftplib {
		return "Python ftplib"
	}
	return string(c)
}

// program is the executable that runs the client.
func (c Client) program() string {
	if c == Ftplib {
		return "python3"
	}
	return string(c)
}

// InstallHint says how to install every client (Debian packages).
const InstallHint = "apt-get install -y curl lftp python3"

// tool is what Require found out about a client, once per process.
type tool struct {
	path    string // absolute path of the program to run
	version string // major.minor
	err     error
}

var (
	toolsMu sync.Mutex
	tools   = map[Client]*tool{}
)

// lookup finds a client's program and version, once.
func lookup(c Client) *tool {
	toolsMu.Lock()
	defer toolsMu.Unlock()
	if tl, ok := tools[c]; ok {
		return tl
	}
	tl := &tool{}
	tools[c] = tl
	path, err := exec.LookPath(c.program())
	if err != nil {
		tl.err = fmt.Errorf("%s is not installed (%s not found in PATH)", c.Name(), c.program())
		return tl
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch c {
	case Ftplib:
		// The interpreter itself, not a wrapper such as a pyenv shim:
		// cheaper to start, and indifferent to HOME.
		out, err := exec.CommandContext(ctx, path, "-I", "-c",
			"import ftplib, ssl, sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])").Output()
		f := strings.Fields(string(out))
		if err != nil || len(f) != 2 {
			tl.err = fmt.Errorf("%s cannot import ftplib and ssl: %v", path, err)
			return tl
		}
		tl.path, tl.version = f[0], f[1]
	case Curl, LFTP:
		out, err := exec.CommandContext(ctx, path, "--version").Output()
		if err != nil {
			tl.err = fmt.Errorf("%s --version: %v", path, err)
			return tl
		}
		tl.path = path
		tl.version = versionOf(c, string(out))
		if c == Curl && !curlHasFTPS(string(out)) {
			tl.err = fmt.Errorf("%s lacks ftp or ftps support", path)
		}
	default:
		tl.err = fmt.Errorf("unknown client %q", c)
	}
	return tl
}

// versionOf reads the major.minor version from --version output:
// "curl 7.88.1 (x86_64-pc-linux-gnu) ..." or "LFTP | Version 4.9.2 | ...".
func versionOf(c Client, out string) string {
	first, _, _ := strings.Cut(out, "\n")
	f := strings.Fields(first)
	v := ""
	switch {
	case c == Curl && len(f) >= 2:
		v = f[1]
	case c == LFTP && len(f) >= 4:
		v = f[3]
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return "?"
	}
	return parts[0] + "." + parts[1]
}

func curlHasFTPS(out string) bool {
	for line := range strings.Lines(out) {
		if p, ok := strings.CutPrefix(line, "Protocols:"); ok {
			f := strings.Fields(p)
			return slices.Contains(f, "ftp") && slices.Contains(f, "ftps")
		}
	}
	return false
}

// Available reports whether the client is installed and usable, and why not.
func Available(c Client) error { return lookup(c).err }

// Version is the client's major.minor version ("7.88", "4.9", "3.11"),
// "" when it is not installed.
func Version(c Client) string { return lookup(c).version }

// inCI reports whether the tests run in CI, where a missing client is a failure.
func inCI() bool { return os.Getenv("CI") == "true" }

// Require skips the test when the client is not installed, with a
// message saying how to install it; under CI=true it fails the test
// instead, so that CI never passes without running the real clients.
func Require(t testing.TB, c Client) {
	t.Helper()
	err := Available(c)
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%v: install it with `%s`", err, InstallHint)
	if inCI() {
		t.Fatalf("%s (CI=true: a missing client is a failure, not a skip)", msg)
		return
	}
	t.Skip(msg)
}

// TLSMode is how a client secures its connections.
type TLSMode int

// TLS modes.
const (
	Plain    TLSMode = iota // plain FTP
	Explicit                // AUTH TLS after the greeting, PBSZ 0 and PROT P (data protected)
	Implicit                // TLS from the first byte (ftps://), PBSZ 0 and PROT P
)

func (m TLSMode) String() string {
	switch m {
	case Explicit:
		return "explicit FTPS"
	case Implicit:
		return "implicit FTPS"
	}
	return "plain"
}

// Mode is how a client connects: passive or active data connections,
// plain or FTPS.
type Mode struct {
	Active bool
	TLS    TLSMode
}

func (m Mode) String() string {
	dir := "passive"
	if m.Active {
		dir = "active"
	}
	return dir + ", " + m.TLS.String()
}

// Modes lists every mode: passive and active, each plain, explicit and implicit.
func Modes() []Mode {
	var out []Mode
	for _, active := range []bool{false, true} {
		for _, tls := range []TLSMode{Plain, Explicit, Implicit} {
			out = append(out, Mode{Active: active, TLS: tls})
		}
	}
	return out
}

// Session is how a client reaches a server: where, in which mode, as whom.
type Session struct {
	Addr     string        // the server's control address; loopback only
	Mode     Mode          // passive or active, plain or FTPS
	User     string        // default "anonymous"
	Password string        // default "guest@example.com"
	Timeout  time.Duration // the client's own network timeout (default 10s)
	Limit    time.Duration // the process group is killed after this (default 60s)
	Dir      string        // the client's working directory (default: a new t.TempDir())
}

// Defaults of a Session.
const (
	DefaultTimeout = 10 * time.Second
	DefaultLimit   = 60 * time.Second
)

// ready fills the defaults in and checks the address is on loopback.
func (s Session) ready(t testing.TB, c Client) Session {
	t.Helper()
	Require(t, c)
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		t.Fatalf("realclient: address %q: %v", s.Addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("realclient: %s is not a loopback address: the tests talk to loopback only", s.Addr)
	}
	if port == "" {
		t.Fatalf("realclient: address %q has no port", s.Addr)
	}
	if s.User == "" {
		s.User, s.Password = "anonymous", "guest@example.com"
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Limit <= 0 {
		s.Limit = DefaultLimit
	}
	if s.Dir == "" {
		s.Dir = t.TempDir()
	}
	return s
}

// Result is what one run of a client's process gave.
type Result struct {
	Args     []string      // the command line (arguments after the program)
	Exit     int           // the exit status; -1 when killed
	Stdout   string        // standard output, as written
	Stderr   string        // standard error, as written
	Killed   bool          // the run outlived Session.Limit and its process group was killed
	Duration time.Duration // how long the run took
}

// String shows the run for a test failure.
func (r Result) String() string {
	args := make([]string, len(r.Args))
	for i, a := range r.Args {
		if len(a) > 120 { // ftplib's driver script
			a = a[:60] + "..."
		}
		args[i] = a
	}
	s := fmt.Sprintf("exit %d after %v: %q", r.Exit, r.Duration.Round(time.Millisecond), args)
	if r.Killed {
		s += " (killed at the time limit)"
	}
	if r.Stderr != "" {
		s += "\nstderr: " + strings.TrimSpace(r.Stderr)
	}
	return s
}

// run starts a client's program in its own process group, with stdin
// (none when nil), and waits for it, killing the group at the limit.
func run(t testing.TB, s Session, c Client, stdin []byte, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.Limit)
	defer cancel()
	return runProgram(ctx, t, lookup(c).path, s.Dir, stdin, args...)
}

func runProgram(ctx context.Context, t testing.TB, path, dir string, stdin []byte, args ...string) Result {
	t.Helper()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = environ(dir)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ownProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := Result{Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start), Exit: -1}
	if cmd.Process != nil {
		killProcessGroup(cmd) // whatever the client left behind
	}
	if cmd.ProcessState != nil {
		r.Exit = cmd.ProcessState.ExitCode()
	}
	r.Killed = ctx.Err() != nil
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && !r.Killed && !errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("realclient: run %s: %v", path, err)
	}
	return r
}

// environ is the clients' environment: this process's, without proxies,
// with HOME and the XDG folders in the client's own directory (no user
// configuration, nothing left behind) and the C locale (stable messages).
func environ(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy",
			"home", "lang", "language", "lc_all", "curl_home", "lftp_home",
			"xdg_config_home", "xdg_data_home", "xdg_cache_home", "xdg_state_home":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+dir, "LC_ALL=C", "LANG=C",
		"XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir, "XDG_STATE_HOME="+dir)
}

// Raw runs client c's program with exactly args, as a user types them (no
// setting of this package's added: lftp reads no script, curl gets no
// timeouts), in the session's directory and environment (HOME there: no
// user configuration) and under its Limit. Only the session's Dir and
// Limit are used.
func (s Session) Raw(t testing.TB, c Client, args ...string) Result {
	t.Helper()
	Require(t, c)
	if s.Dir == "" {
		s.Dir = t.TempDir()
	}
	if s.Limit <= 0 {
		s.Limit = DefaultLimit
	}
	return run(t, s, c, nil, args...)
}
