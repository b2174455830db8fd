// Package record is mockftpd's recording proxy: FTP clients talk to it, it
// talks to a real FTP server (the upstream), relays every control and data
// connection (PASV, EPSV, PORT and EPRT rewritten so that data flows
// through it; explicit and implicit FTPS terminated on both sides) and
// keeps a transcript of every session. Scenario turns a transcript into a
// scenario that makes mockftpd answer the same client the same way.
package record

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/mockftpd/mockftpd/internal/certgen"
)

// Config says where a Proxy relays to and how.
type Config struct {
	// Upstream is the real FTP server, "host:port".
	Upstream string
	// ImplicitTLS speaks TLS from the first byte on both sides (FTPS on
	// port 990). Otherwise AUTH TLS from the client is relayed, and TLS is
	// terminated on both sides once the upstream accepts it.
	ImplicitTLS bool
	// TLS is the configuration towards the clients (the proxy's
	// certificate); nil makes a self-signed certificate for loopback.
	TLS *tls.Config
	// UpstreamTLS is the configuration towards the upstream server; nil
	// verifies its certificate against the system's roots. ServerName
	// defaults to the upstream's host.
	UpstreamTLS *tls.Config
	// MaxFileBytes bounds what the transcript keeps of a transfer's bytes
	// (listings are kept whole up to MaxListingBytes); the size is always
	// counted. Zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// DialTimeout bounds connecting to the upstream (default 10s);
	// DataTimeout bounds waiting for a data connection (default 30s).
	DialTimeout, DataTimeout time.Duration
	// Logger gets the proxy's messages; nil discards them.
	Logger *slog.Logger
	// SessionEnded, when set, is called (from the session's goroutine)
	// once a session has ended and its transfers are done.
	SessionEnded func(*Session)
}

// DefaultMaxFileBytes is what a transcript keeps of a file's bytes by default.
const DefaultMaxFileBytes = 1 << 20

// MaxListingBytes is what a transcript keeps of a listing's bytes.
const MaxListingBytes = 64 << 20

// Proxy is a recording FTP proxy. Serve relays the connections of a
// listener; Transcript returns what was recorded so far.
type Proxy struct {
	cfg       Config
	clientTLS *tls.Config
	upHost    string
	log       *slog.Logger

	mu       sync.Mutex
	started  time.Time
	sessions []*session
	live     map[*session]struct{}
	lns      map[net.Listener]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// New checks cfg and prepares the proxy (its certificate, unless given).
func New(cfg Config) (*Proxy, error) {
	host, _, err := net.SplitHostPort(cfg.Upstream)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: want host:port: %w", cfg.Upstream, err)
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.DataTimeout <= 0 {
		cfg.DataTimeout = 30 * time.Second
	}
	p := &Proxy{cfg: cfg, upHost: host, log: cfg.Logger, started: time.Now(), live: map[*session]struct{}{}, lns: map[net.Listener]struct{}{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.clientTLS = cfg.TLS
	if p.clientTLS == nil {
		cert, err := certgen.Certificate()
		if err != nil {
			return nil, err
		}
		p.clientTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return p, nil
}

// Serve accepts connections on l and relays each to the upstream server
// until l is closed or Close is called; then it returns nil.
func (p *Proxy) Serve(l net.Listener) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("record: proxy closed")
	}
	p.lns[l] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.lns, l)
		p.mu.Unlock()
	}()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() { // EMFILE and the like: wait and go on
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return nil
		}
		s := newSession(p, c, len(p.sessions)+1)
		p.sessions = append(p.sessions, s)
		p.live[s] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			s.run()
			p.mu.Lock()
			delete(p.live, s)
			p.mu.Unlock()
			if p.cfg.SessionEnded != nil {
				p.cfg.SessionEnded(s.snapshot())
			}
		}()
	}
}

// Close stops the recording: the listeners close, sessions in progress
// are cut (their transcripts end with "recording stopped"), and Close
// waits for every session's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for l := range p.lns {
		_ = l.Close()
	}
	live := make([]*session, 0, len(p.live))
	for s := range p.live {
		live = append(live, s)
	}
	p.mu.Unlock()
	for _, s := range live {
		s.stop("recording stopped")
	}
	p.wg.Wait()
	return nil
}

// Transcript returns a copy of everything recorded so far, sessions in
// progress included.
func (p *Proxy) Transcript() *Transcript {
	p.mu.Lock()
	sessions := slices.Clone(p.sessions)
	p.mu.Unlock()
	t := &Transcript{Upstream: p.cfg.Upstream, Started: p.started}
	for _, s := range sessions {
		t.Sessions = append(t.Sessions, s.snapshot())
	}
	return t
}

// upstreamTLS is the configuration towards the upstream for one session:
// its data connections share the control connection's session cache, so
// that they resume its TLS session (vsftpd and ProFTPD require it).
func (p *Proxy) upstreamTLS() *tls.Config {
	var cfg *tls.Config
	if p.cfg.UpstreamTLS != nil {
		cfg = p.cfg.UpstreamTLS.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = p.upHost
	}
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	return cfg
}

// closeWrite ends the sending half of c (a FIN, or a TLS close_notify),
// or closes it when it cannot be half-closed.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		if cw.CloseWrite() == nil {
			return
		}
	}
	_ = c.Close()
}

// prefixConn is a connection with bytes already read from it put back in
// front (a buffered reader's leftovers, before a TLS handshake).
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// CloseWrite half-closes the underlying TCP connection.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
