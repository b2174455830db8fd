package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/memfs"
	"github.com/mockftpd/mockftpd/scenario"
)

// TLSMode says whether and how the server speaks FTPS.
type TLSMode string

// TLS modes.
const (
	TLSNone     TLSMode = "none"     // plain FTP only
	TLSExplicit TLSMode = "explicit" // plain FTP, upgraded by AUTH TLS (the default)
	TLSImplicit TLSMode = "implicit" // TLS from the first byte
)

// ParseTLSMode reads "none", "explicit" or "implicit".
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(strings.TrimSpace(s))); m {
	case TLSNone, TLSExplicit, TLSImplicit:
		return m, nil
	case "":
		return TLSExplicit, nil
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

// Config configures a Server. The zero value is a working server on a free
// loopback port with an in-memory filesystem that lets anyone log in.
type Config struct {
	// Listen is the control address; "127.0.0.1:0" (the default) picks a free port.
	Listen string
	// Root serves a host directory (jailed: nothing outside it is reachable)
	// instead of the in-memory filesystem.
	Root string
	// Fs, when set, is the filesystem served (it wins over Root).
	Fs afero.Fs
	// Users who may log in. Empty: any user name with any password.
	Users []User
	// AllowAnonymous lets "anonymous" (and "ftp") log in with any password
	// when Users is not empty.
	AllowAnonymous bool
	// PassivePorts restricts passive data ports; zero picks free ports.
	PassivePorts PortRange
	// PublicHost is the IPv4 address (or host name, resolved at start)
	// advertised in 227 replies, for Docker and NAT.
	PublicHost string
	// Banner is the text of the 220 greeting.
	Banner string
	// IdleTimeout closes a session with 421 after this long without a
	// command (default 15 minutes; a scenario may set its own).
	IdleTimeout time.Duration
	// DataTimeout bounds the wait for a data connection (default 30s).
	DataTimeout time.Duration
	// MaxConnections caps simultaneous control connections (0: 1,000);
	// connections over it get 421 and are closed.
	MaxConnections int
	// TLS selects FTPS (default explicit: AUTH TLS is offered, not required);
	// TLSConfig or CertFile/KeyFile give the certificate, and without any a
	// self-signed one is made in memory when first needed.
	TLS       TLSMode
	TLSConfig *tls.Config
	CertFile  string
	KeyFile   string
	// MaxLineLength bounds a command line (default 4096 bytes); a longer
	// line gets 500, and a line that goes on past 1 MiB ends the session.
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
	// JournalLimit bounds the journal (default 100,000 entries; the oldest
	// go first) and the list of recorded uploads.
	JournalLimit int
	// MaxConnectionsPerIP caps simultaneous control connections from one
	// client address (0: no cap beyond MaxConnections); over it, 421.
	MaxConnectionsPerIP int
	// AllowForeignDataAddress lets PORT/EPRT name an address other than the
	// client's (an FTP bounce); refused with 501 by default.
	AllowForeignDataAddress bool
	// ShutdownGrace is how long Shutdown lets transfers in flight finish
	// before closing them (default 5s).
	ShutdownGrace time.Duration
	// Scenario scripts replies; nil behaves like a plain correct FTP server.
	Scenario *scenario.Scenario
	// Logger receives logs; each command and reply at debug level. Nil discards.
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
		c.Banner = "mockftpd ready"
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 15 * time.Minute
	}
	if c.DataTimeout <= 0 {
		c.DataTimeout = 30 * time.Second
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 1000
	}
	if c.MaxLineLength <= 0 {
		c.MaxLineLength = 4096
	}
	if c.MaxFileSize == 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	if c.JournalLimit <= 0 {
		c.JournalLimit = 100000
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
	if c.TLS == "" {
		c.TLS = TLSExplicit
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
