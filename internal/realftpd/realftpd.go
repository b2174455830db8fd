// Package realftpd runs real FTP servers (vsftpd, ProFTPD, pure-ftpd) for
// tests: each as a foreground process on a loopback port chosen by the
// test, with its own configuration in a temporary folder, serving a given
// tree, with a login that can upload and a passive port range on loopback,
// optionally with FTPS.
//
// The servers come from Debian packages. They conflict with each other as
// packages (each provides ftp-server), so scripts/install-ftp-servers.sh
// installs what it can and unpacks the rest with dpkg-deb -x into a folder
// this package searches (MOCKFTPD_FTPD_DIR, by default
// $XDG_CACHE_HOME/mockftpd/ftpd). A missing server skips the test with a
// message saying so; under CI=true it fails it.
package realftpd

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/internal/certgen"
	"github.com/mockftpd/mockftpd/internal/testtool"
)

// Kind names a real FTP server.
type Kind string

// The servers this package runs.
const (
	VSFTPD   Kind = "vsftpd"    // Debian vsftpd 3.0
	ProFTPD  Kind = "proftpd"   // Debian proftpd-basic 1.3
	PureFTPd Kind = "pure-ftpd" // Debian pure-ftpd 1.0
)

// Kinds lists every server, in a stable order.
var Kinds = []Kind{VSFTPD, ProFTPD, PureFTPd}

// TLSMode says whether a server offers FTPS.
type TLSMode int

// FTPS modes.
const (
	TLSNone     TLSMode = iota // plain FTP only
	TLSExplicit                // AUTH TLS offered, not required
	TLSImplicit                // TLS from the first byte (vsftpd and ProFTPD only)
)

// Options says what a server serves and how.
type Options struct {
	// Files seeds the served tree: a path relative to its root mapped to
	// the file's content; a path ending in "/" is a directory. The root
	// itself is read-only (vsftpd refuses a writable chroot); every folder
	// below it is writable.
	Files map[string]string
	// ModTime is the modification time of the seeded entries (default
	// 2024-01-02 03:04:05 UTC), so that listings repeat across runs.
	ModTime time.Time
	// TLS offers FTPS with a generated certificate.
	TLS TLSMode
	// AllowStoreRestart makes ProFTPD accept APPE and REST before STOR
	// (its AllowStoreRestart directive); by default it refuses them with
	// 451, as Debian ships it. The other servers always accept them.
	AllowStoreRestart bool
}

// DefaultModTime is the modification time of seeded entries.
var DefaultModTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Server is a running real FTP server.
type Server struct {
	Kind Kind
	Addr string // control address, 127.0.0.1:PORT
	Root string // the served folder on the host
	// User and Password log in with upload rights. vsftpd serves anonymous
	// FTP (its local users need PAM), so they are anonymous and an e-mail.
	User, Password string
	// BadUser and BadPassword are a login the server refuses.
	BadUser, BadPassword string
	// PassiveMin and PassiveMax bound the passive data ports.
	PassiveMin, PassiveMax int
	TLS                    TLSMode
	CertPEM                []byte // the server's certificate, when TLS is on
	dir                    string // configuration, logs, the served tree
	logFile                string
}

// Log returns what the server logged so far (for failure messages).
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logFile)
	return string(b)
}

// InstallHint says how to get the servers.
const InstallHint = "bash scripts/install-ftp-servers.sh (as root: apt-get install of one server, dpkg-deb -x of the others into $MOCKFTPD_FTPD_DIR)"

// Dir is where scripts/install-ftp-servers.sh unpacks servers that could
// not be installed as packages: MOCKFTPD_FTPD_DIR, or
// $XDG_CACHE_HOME/mockftpd/ftpd.
func Dir() string {
	if d := os.Getenv("MOCKFTPD_FTPD_DIR"); d != "" {
		return d
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(c, "mockftpd", "ftpd")
}

// binaries maps each server to the programs it needs (the first is the server).
var binaries = map[Kind][]string{
	VSFTPD:   {"usr/sbin/vsftpd"},
	ProFTPD:  {"usr/sbin/proftpd"},
	PureFTPd: {"usr/sbin/pure-ftpd", "usr/bin/pure-pw"},
}

// installation is where one server's files are: the root its programs
// are under ("/" for an installed package) and their paths.
type installation struct {
	root  string
	progs []string
}

// Find locates kind's programs: installed (/usr/sbin, /usr/bin), or
// unpacked under Dir().
func Find(kind Kind) (installation, error) {
	rels, ok := binaries[kind]
	if !ok {
		return installation{}, fmt.Errorf("unknown FTP server %q", kind)
	}
	var errs []string
	for _, root := range []string{"/", Dir()} {
		if root == "" {
			continue
		}
		in := installation{root: root}
		for _, rel := range rels {
			p := filepath.Join(root, rel)
			if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				errs = append(errs, p)
				break
			}
			in.progs = append(in.progs, p)
		}
		if len(in.progs) == len(rels) {
			return in, nil
		}
	}
	return installation{}, fmt.Errorf("%s not found (looked for %s)", kind, strings.Join(errs, ", "))
}

// Require skips the test (fails it under CI=true) unless kind can run here.
func Require(t testing.TB, kind Kind) installation {
	t.Helper()
	in, err := Find(kind)
	if err != nil {
		testtool.Unavailable(t, err.Error(), InstallHint)
	}
	if os.Geteuid() != 0 {
		testtool.Unavailable(t, string(kind)+" as root (the servers chroot and change user)", "run the tests as root, as CI does")
	}
	return in
}

// Start runs kind serving opts.Files and stops it when the test ends.
func Start(t testing.TB, kind Kind, opts Options) *Server {
	t.Helper()
	in := Require(t, kind)
	if opts.TLS == TLSImplicit && kind == PureFTPd {
		t.Fatalf("pure-ftpd has no implicit FTPS")
	}
	s, stop, err := startRetrying(kind, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log:\n%s", kind, s.Log())
		}
		stop()
	})
	return s
}

// Run starts kind outside a test (the benchmark tool's peers); stop ends
// it and removes its folder. It fails when the server is not installed or
// this process is not root.
func Run(kind Kind, opts Options) (s *Server, stop func(), err error) {
	in, err := Find(kind)
	if err != nil {
		return nil, nil, err
	}
	if os.Geteuid() != 0 {
		return nil, nil, fmt.Errorf("%s runs as root only (it chroots and changes user)", kind)
	}
	return startRetrying(kind, in, opts)
}

func startRetrying(kind Kind, in installation, opts Options) (*Server, func(), error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a port taken meanwhile: pick others
		s, stop, err := start(kind, in, opts)
		if err == nil {
			return s, stop, nil
		}
		lastErr = err
	}
	return nil, nil, fmt.Errorf("start %s: %w", kind, lastErr)
}

func start(kind Kind, in installation, opts Options) (*Server, func(), error) {
	// Not t.TempDir: its folders are 0700, and the servers' users must
	// reach the tree before they chroot into it.
	dir, err := os.MkdirTemp("", "realftpd-"+string(kind)+"-")
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(dir)
		}
	}()
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, nil, err
	}
	// The control port and the passive range come from below Linux's
	// ephemeral range: a port from there (listening on :0) could go to
	// another test's listener between our check and the server's bind,
	// and the server's readiness check would then reach that listener.
	port, err := freeRange(11)
	if err != nil {
		return nil, nil, err
	}
	pmin := port + 1
	s := &Server{
		Kind: kind, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Root: filepath.Join(dir, "root"), dir: dir, logFile: filepath.Join(dir, "server.log"),
		User: "bob", Password: "secret", BadUser: "bob", BadPassword: "wrong",
		PassiveMin: pmin, PassiveMax: pmin + 9, TLS: opts.TLS,
	}
	if err := seed(s.Root, opts); err != nil {
		return nil, nil, err
	}
	if opts.TLS != TLSNone {
		c, k, err := certgen.PEM()
		if err != nil {
			return nil, nil, err
		}
		s.CertPEM = c
		if err := os.WriteFile(filepath.Join(dir, "cert.pem"), c, 0o600); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "key.pem"), k, 0o600); err != nil {
			return nil, nil, err
		}
	}
	var cmd *exec.Cmd
	switch kind {
	case VSFTPD:
		cmd, err = s.vsftpd(in, port)
	case ProFTPD:
		cmd, err = s.proftpd(in, port, opts)
	case PureFTPd:
		cmd, err = s.pureFTPd(in, port)
	}
	if err != nil {
		return nil, nil, err
	}
	logf, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = dir
	// its own process group, so that its session processes die with it;
	// killed with the test binary if that dies first (a test timeout)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// session processes outlive a master killed by signal
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err := waitListening(s.Addr, exited); err != nil {
		stop()
		return nil, nil, fmt.Errorf("%w; its log:\n%s", err, s.Log())
	}
	ok = true
	return s, func() {
		stop()
		_ = os.RemoveAll(dir)
	}, nil
}

// seed writes the tree: the root read-only and owned by root, the rest
// writable by the servers' users.
func seed(root string, opts Options) error {
	mt := opts.ModTime
	if mt.IsZero() {
		mt = DefaultModTime
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	paths := make([]string, 0, len(opts.Files))
	for p := range opts.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var dirs []string
	for _, p := range paths {
		clean := filepath.Clean("/" + p)
		if clean == "/" {
			continue
		}
		full := filepath.Join(root, clean)
		if err := mkdirs(root, filepath.Dir(full), &dirs); err != nil {
			return err
		}
		if strings.HasSuffix(p, "/") {
			if err := mkdirs(root, full, &dirs); err != nil {
				return err
			}
			continue
		}
		if err := os.WriteFile(full, []byte(opts.Files[p]), 0o666); err != nil {
			return err
		}
		if err := os.Chmod(full, 0o666); err != nil { // past the umask
			return err
		}
		if err := os.Chtimes(full, mt, mt); err != nil {
			return err
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- { // deepest first: a child's change moves its parent's time
		if err := os.Chtimes(dirs[i], mt, mt); err != nil {
			return err
		}
	}
	return os.Chtimes(root, mt, mt)
}

func mkdirs(root, dir string, made *[]string) error {
	if dir == root {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := mkdirs(root, filepath.Dir(dir), made); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o777); err != nil {
		return err
	}
	*made = append(*made, dir)
	return os.Chmod(dir, 0o777)
}

// waitListening waits until addr accepts connections, or the server exits.
func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the server exited at start")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after 10s", addr)
}

// freeRange returns the first of n consecutive free loopback ports, below
// Linux's ephemeral range so that outgoing connections seldom take them.
func freeRange(n int) (int, error) {
	for attempt := 0; attempt < 50; attempt++ {
		base := 20000 + rand.IntN(12000-n)
		free := true
		for p := base; p < base+n && free; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				free = false
				continue
			}
			_ = l.Close()
		}
		if free {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d free consecutive ports", n)
}

// writeConf writes a configuration file into the server's folder.
func (s *Server) writeConf(name string, lines []string, mode os.FileMode) (string, error) {
	p := filepath.Join(s.dir, name)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return p, os.WriteFile(p, b.Bytes(), mode)
}
