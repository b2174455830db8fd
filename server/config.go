package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/memfs"
	"github.com/mockftpd/mockftpd/scenario"
)

// TLSMode says whether and how the server speaks FTPS.
type TLSMode string

// TLS modes.
const (
	TLSNone     TLSMode = "none"     // plain FTP only (the default)
	TLSExplicit TLSMode = "explicit" // plain FTP, upgraded by AUTH TLS
	TLSImplicit TLSMode = "implicit" // TLS from the first byte
)

// ParseTLSMode reads "none", "explicit" or "implicit".
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(strings.TrimSpace(s))); m {
	case TLSNone, TLSExplicit, TLSImplicit:
		return m, nil
	case "":
		return DefaultTLS, nil
	}
	return "", fmt.Errorf("unknown TLS mode %q (want none, explicit or implicit)", s)
}

// User is an account the server accepts.
type User struct {
	Name     string
	Password string
	Home     string // starting directory, created at login if missing; "/" when empty
}

// ParseUser reads "name:password" or "name:password:/home".
func ParseUser(s string) (User, error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return User{}, fmt.Errorf("user %q: want name:password or name:password:/home", s)
	}
	pass, home, _ := strings.Cut(rest, ":")
	return User{Name: name, Password: pass, Home: home}, nil
}

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ Start, End int }

// ParsePortRange reads "30000-30009" (or a single port).
func ParsePortRange(s string) (PortRange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return PortRange{}, nil
	}
	a, b, found := strings.Cut(s, "-")
	start, err1 := strconv.Atoi(strings.TrimSpace(a))
	end := start
	var err2 error
	if found {
		end, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || start < 1 || end > 65535 || start > end {
		return PortRange{}, fmt.Errorf("passive port range %q: want START-END with 1 <= START <= END <= 65535", s)
	}
	return PortRange{start, end}, nil
}

// String formats the range as "START-END".
func (p PortRange) String() string {
	if p.Start == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", p.Start, p.End)
}

// Defaults of Config; the mockftpd command's flags use the same.
const (
	DefaultBanner         = "mockftpd ready"
	DefaultIdleTimeout    = 15 * time.Minute
	DefaultDataTimeout    = 30 * time.Second
	DefaultMaxConnections = 1000
	DefaultMaxLineLength  = 4096
	DefaultJournalLimit   = journal.DefaultMaxEntries
	DefaultJournalBytes   = journal.DefaultMaxBytes
	DefaultShutdownGrace  = 5 * time.Second
	// DefaultTLS is plain FTP: clients that use AUTH TLS whenever a server
	// takes it (lftp) would refuse the self-signed certificate.
	DefaultTLS = TLSNone
)

// Config configures a Server. The zero value is a working server on a free
// loopback port with an in-memory filesystem that lets anyone log in.
//
// Where the scenario in force says something too (its settings' banner and
// idle timeout, its users), the scenario wins: it describes the server
// being mocked, and Config gives the defaults (see resolve).
type Config struct {
	// Listen is the control address; "127.0.0.1:0" (the default) picks a free port.
	Listen string
	// Root serves a host directory (jailed: nothing outside it is reachable)
	// instead of the in-memory filesystem.
	Root string
	// Fs, when set, is the filesystem served (it wins over Root).
	Fs afero.Fs
	// Users who may log in. Empty: any user name with any password. A
	// scenario that lists users replaces them.
	Users []User
	// AllowAnonymous lets "anonymous" (and "ftp") log in with any password
	// when there are users.
	AllowAnonymous bool
	// PassivePorts restricts passive data ports; zero picks free ports.
	PassivePorts PortRange
	// PublicHost is the IPv4 address (or host name, resolved at start)
	// advertised in 227 replies, for Docker and NAT.
	PublicHost string
	// Banner is the text of the 220 greeting (DefaultBanner); a scenario's
	// settings.banner replaces it.
	Banner string
	// Dialect makes the server answer as a real server product does
	// (package dialect, e.g. "vsftpd"), beneath every scenario that names
	// none (a scenario's settings.dialect wins).
	Dialect string
	// IdleTimeout closes a session with 421 after this long without a
	// command (DefaultIdleTimeout); a scenario's settings.idle_timeout
	// replaces it.
	IdleTimeout time.Duration
	// DataTimeout bounds the wait for a data connection (DefaultDataTimeout).
	DataTimeout time.Duration
	// MaxConnections caps simultaneous control connections
	// (DefaultMaxConnections); connections over it get 421 and are closed.
	MaxConnections int
	// TLS selects FTPS (DefaultTLS: none; explicit offers AUTH TLS without
	// requiring it, implicit speaks TLS from the first byte);
	// TLSConfig or CertFile/KeyFile give the certificate, and without any a
	// self-signed one is made in memory when first needed.
	TLS       TLSMode
	TLSConfig *tls.Config
	CertFile  string
	KeyFile   string
	// MaxLineLength bounds a command line (DefaultMaxLineLength bytes); a
	// longer line gets 500, and a line that goes on past 1 MiB ends the session.
	MaxLineLength int
	// Quota caps the bytes the in-memory filesystem stores (0: no cap); an
	// upload past it gets 552. It needs the in-memory filesystem.
	Quota int64
	// MaxFileSize is the largest size a client can make a file (default
	// DefaultMaxFileSize; negative: no limit): a write past it, or REST
	// past it before STOR, gets 552. Holes in memory cost nothing, so it
	// bounds what one upload costs. Generated files (size: in a scenario)
	// may be larger in memory; with Root they are written to disk and
	// refused at start over it. It applies to Root too, not to Fs.
	MaxFileSize int64
	// JournalLimit bounds the journal's entries (DefaultJournalLimit; the
	// oldest go first) and the list of recorded uploads.
	JournalLimit int
	// JournalBytes bounds the memory the journal's entries take
	// (DefaultJournalBytes, 64 MiB; the oldest go first). An entry keeps
	// at most journal.DefaultMaxArg bytes of a command's argument.
	JournalBytes int64
	// MaxConnectionsPerIP caps simultaneous control connections from one
	// client address (0: no cap beyond MaxConnections); over it, 421.
	MaxConnectionsPerIP int
	// AllowForeignDataAddress lets PORT/EPRT name any address and port:
	// another host than the client's, a port below 1024, or one of
	// mockftpd's own listening ports (an FTP bounce, RFC 2577). By default
	// those get 501.
	AllowForeignDataAddress bool
	// AdminAddr is the admin API's address, when one runs: PORT/EPRT may
	// not name it (see AllowForeignDataAddress).
	AdminAddr string
	// ShutdownGrace is how long Shutdown lets transfers in flight finish
	// before closing them (DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// Strict answers every command no rule fires for with 502 and notes in
	// the journal why no rule fired (QUIT still works), as a scenario's
	// settings.strict does: a replay that covers only what was recorded.
	Strict bool
	// Scenario scripts replies; nil behaves like a plain correct FTP
	// server. The server works on a normalized copy: the caller's scenario
	// is never changed, so one may be shared by servers.
	Scenario *scenario.Scenario
	// Logger receives logs: at info level one line per session start and
	// end and per fired rule, at debug level each command and reply. Nil
	// discards.
	Logger *slog.Logger
}

// DefaultMaxFileSize is Config.MaxFileSize when it is 0: 16 GiB, past
// 4 GiB so that clients' 32-bit size handling can be tested.
const DefaultMaxFileSize = memfs.DefaultMaxFileSize

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.Banner == "" {
		c.Banner = DefaultBanner
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.DataTimeout <= 0 {
		c.DataTimeout = DefaultDataTimeout
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxLineLength <= 0 {
		c.MaxLineLength = DefaultMaxLineLength
	}
	if c.MaxFileSize == 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	if c.JournalLimit <= 0 {
		c.JournalLimit = DefaultJournalLimit
	}
	if c.JournalBytes <= 0 {
		c.JournalBytes = DefaultJournalBytes
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.TLS == "" {
		c.TLS = DefaultTLS
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// effective is what the server does where the Config and the scenario in
// force can both speak.
type effective struct {
	banner string
	idle   time.Duration
	users  []User
	strict bool // the Config's or the scenario's
	// dialect is the server product spoken beneath the scenario (the
	// scenario's settings.dialect, else the Config's; see withDialect).
	dialect *dialect.Dialect
}

// resolve is the one precedence rule between a Config and a scenario: what
// the scenario sets wins (it describes the server being mocked), what it
// leaves out comes from the Config.
func resolve(cfg *Config, sc *scenario.Scenario) *effective {
	e := &effective{banner: cfg.Banner, idle: cfg.IdleTimeout, users: cfg.Users, strict: cfg.Strict || sc.Settings.Strict}
	e.dialect, _ = dialect.Lookup(sc.Settings.Dialect)
	if b := sc.Settings.Banner; b != "" {
		e.banner = b
	}
	if d := sc.Settings.IdleTimeout; d > 0 {
		e.idle = d.Std()
	}
	if len(sc.Users) > 0 {
		e.users = make([]User, len(sc.Users))
		for i, u := range sc.Users {
			e.users[i] = User{Name: u.Name, Password: u.Password, Home: u.Home}
		}
	}
	return e
}
