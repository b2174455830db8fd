// Package server is mockftpd's FTP server: ftpserverlib with an afero
// filesystem, behind a scenario engine that owns every control connection.
//
// The engine reads each command from the client, asks the scenario's
// rules whether one fires, and either answers itself or hands the command
// to ftpserverlib, relaying or rewriting its replies. It does so inside the
// control connection ftpserverlib reads and writes (see upstreamConn), on
// ftpserverlib's goroutines. Data connections, passive and active, reach
// ftpserverlib through its passive-listener wrapper (data.go), where TLS
// and data faults apply; uploads are tracked through a wrapper around the
// filesystem. docs/architecture.md shows the path of a command and of a
// transfer through the files.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/internal/rules"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// Server is a running mock FTP server.
type Server struct {
	cfg      Config
	ln       net.Listener
	ftp      *ftpserver.FtpServer
	control  *controlListener
	fs       afero.Fs
	tls      *tlsSource
	token    string // internal password that logs a session in when a rule said 230
	rt       *rules.Runtime
	journal  *journal.Journal
	settings atomic.Pointer[effective] // resolve's answer for the scenario in force

	mu        sync.Mutex
	sessions  map[*session]struct{} // open sessions
	closing   map[*session]struct{} // ended sessions still reading their client's last bytes
	perIP     map[string]int
	passive   map[int][]*dataListener // open passive listeners by port (several: clients at other addresses, see registerPassive)
	pool      *passivePool            // the passive ports, when multiplexed (nil: a listener per PASV/EPSV)
	uploads   []Upload
	uploadsCh chan struct{}

	draining  chan struct{}
	drainOnce sync.Once
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // ftpserverlib's Serve, sessions, their helpers
	upstreams sync.WaitGroup // ftpserverlib client handlers
}

// Start makes a server from cfg and starts serving. The listener is open
// when Start returns, so clients may connect at once.
func Start(cfg Config) (*Server, error) {
	cfg.setDefaults()
	sc := cfg.Scenario
	if sc == nil {
		sc = &scenario.Scenario{Version: scenario.FormatVersion}
	}
	sc, err := sc.Normalize() // a copy: the caller's scenario is left alone
	if err != nil {
		return nil, err
	}
	if err := withDialect(sc, &cfg); err != nil {
		return nil, err
	}
	cfg.Scenario = sc
	fsys, err := newFilesystem(&cfg)
	if err != nil {
		return nil, err
	}
	if err := seedFiles(fsys, sc); err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		fs:        fsys,
		tls:       &tlsSource{given: cfg.TLSConfig, certFile: cfg.CertFile, keyFile: cfg.KeyFile, hosts: []string{cfg.PublicHost}},
		token:     "mockftpd-" + hex.EncodeToString(tok),
		rt:        rules.New(sc),
		journal:   journal.New(journal.Options{MaxEntries: cfg.JournalLimit, MaxBytes: cfg.JournalBytes}),
		sessions:  make(map[*session]struct{}),
		closing:   make(map[*session]struct{}),
		perIP:     make(map[string]int),
		passive:   make(map[int][]*dataListener),
		uploadsCh: make(chan struct{}),
		draining:  make(chan struct{}),
		closed:    make(chan struct{}),
	}
	s.settings.Store(resolve(&s.cfg, sc))
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		if _, err := s.tls.get(); err != nil {
			return nil, err // a bad certificate is a start-up error, not a surprise at AUTH
		}
	}
	settings, err := s.ftpSettings()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.ln = ln
	if cfg.PassivePorts.Start == 0 && onIPv4(ln.Addr()) {
		// a listener per passive port, not per PASV/EPSV (see passivePool)
		s.pool = newPassivePool()
		settings.PassiveTransferPortRange = s.pool
		settings.PassiveTransferPortMultiplexing = true
	}
	s.control = &controlListener{srv: s, ln: ln, stopped: make(chan struct{})}
	settings.Listener = s.control
	s.ftp = ftpserver.NewFtpServer(&driver{srv: s, settings: settings})
	// ftpserverlib's own messages are details of the engine's work: show
	// them only when debugging, warnings and errors always
	s.ftp.Logger = slog.New(minLevel{cfg.Logger.Handler(), slog.LevelWarn}).With("component", "ftpserverlib")
	if err := s.ftp.Listen(); err != nil {
		_ = ln.Close()
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.ftp.Serve()
	}()
	cfg.Logger.Info("mockftpd listening", "addr", ln.Addr().String(), "tls", string(cfg.TLS), "scenario", scenarioName(sc))
	return s, nil
}

// scenarioName names a scenario in logs: its name, else its file, else
// "command line" (only flags, or none).
func scenarioName(sc *scenario.Scenario) string {
	switch {
	case sc.Name != "":
		return sc.Name
	case sc.Source != "" && !strings.HasPrefix(sc.Source, "<"):
		return sc.Source
	}
	return "command line"
}

// effective is what the server does where the Config and the scenario
// both speak (see resolve).
func (s *Server) effective() *effective {
	return s.settings.Load()
}

func (s *Server) ftpSettings() (*ftpserver.Settings, error) {
	cfg := &s.cfg
	set := &ftpserver.Settings{
		Banner:            cfg.Banner,
		IdleTimeout:       365 * 24 * 3600, // the engine enforces idle timeouts itself
		ConnectionTimeout: max(1, int((cfg.DataTimeout+time.Second-1)/time.Second)),
		// The engine checks data connections' addresses itself, and dials
		// the client's PORT address (see data.go): ftpserverlib only ever
		// uses passive listeners.
		PasvConnectionsCheck: ftpserver.IPMatchDisabled,
	}
	if cfg.PassivePorts.Start > 0 {
		set.PassiveTransferPortRange = ftpserver.PortRange{Start: cfg.PassivePorts.Start, End: cfg.PassivePorts.End}
	}
	if h := cfg.PublicHost; h != "" {
		ip := net.ParseIP(h)
		if ip == nil {
			ips, err := net.LookupIP(h)
			if err != nil {
				return nil, fmt.Errorf("public host %q: %w", h, err)
			}
			for _, cand := range ips {
				if cand.To4() != nil {
					ip = cand
					break
				}
			}
		}
		if ip == nil || ip.To4() == nil {
			return nil, fmt.Errorf("public host %q: PASV needs an IPv4 address", h)
		}
		set.PublicHost = ip.To4().String()
	}
	return set, nil
}

// startSession starts the engine's session for a new control connection.
// It returns the connection to give ftpserverlib, or nil when the session
// was refused or is being prepared on a goroutine of its own (see
// controlListener).
func (s *Server) startSession(conn net.Conn) *upstreamConn {
	var ip string // counted only when limited
	if s.cfg.MaxConnectionsPerIP > 0 {
		ip = hostOf(conn.RemoteAddr())
	}
	s.mu.Lock()
	full := len(s.sessions) >= s.cfg.MaxConnections
	if n := s.cfg.MaxConnectionsPerIP; n > 0 && s.perIP[ip] >= n {
		full = true
	}
	select {
	case <-s.draining:
		full = true
	case <-s.closed:
		s.mu.Unlock()
		_ = conn.Close()
		return nil
	default:
	}
	if full {
		s.wg.Add(1)
		s.mu.Unlock()
		go func() { // off the accept goroutine: the client may be slow to read
			defer s.wg.Done()
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = conn.Write(newReply(421, "Too many connections, try again later").wire())
			_ = conn.Close()
		}()
		return nil
	}
	sess := &session{
		srv:   s,
		raw:   conn,
		conn:  conn,
		began: time.Now(),
		in:    newLineReader(conn, s.cfg.MaxLineLength+2),
		kick:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	sess.rt = s.rt.NewSession()
	sess.number = sess.rt.Number()
	s.sessions[sess] = struct{}{}
	if ip != "" {
		s.perIP[ip]++
		sess.ip = ip
	}
	s.wg.Add(1) // until sess.finish
	s.upstreams.Add(1)
	s.mu.Unlock()
	_ = conn.SetReadDeadline(time.Now().Add(s.effective().idle))
	if s.cfg.Logger.Enabled(context.Background(), slog.LevelInfo) {
		sess.logger().Info("session started")
	}

	sess.addr = sessionAddr{Addr: conn.RemoteAddr(), sess: sess}
	sess.up = upstreamConn{local: conn.LocalAddr(), remote: &sess.addr}
	up := &sess.up
	d, scripted := sess.rt.Match(rules.Request{Event: scenario.EventConnect})
	implicit := s.cfg.TLS == TLSImplicit
	if !implicit && (!scripted || d.Step == nil || len(d.Step.Preliminary) == 0 && d.Step.Delay.IsZero()) {
		// nothing to wait for: ftpserverlib gets the session now
		if !sess.greet(d, scripted) {
			s.unserved(sess)
			return nil
		}
		return up
	}
	go func() {
		if implicit && !sess.startTLS(true) {
			sess.end(journal.ReasonTLSFailed, closeNow)
			s.unserved(sess)
			return
		}
		if !sess.greet(d, scripted) {
			s.unserved(sess)
			return
		}
		s.control.deliver(up)
	}()
	return nil
}

// unserved ends a session ftpserverlib never got.
func (s *Server) unserved(sess *session) {
	s.upstreams.Done()
	sess.finish()
}

// sessionEnded no longer counts a finished session (see Sessions); it
// may still be reading its client's last bytes, which Close cuts short.
func (s *Server) sessionEnded(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[sess]; ok {
		delete(s.sessions, sess)
		s.closing[sess] = struct{}{}
		if sess.ip != "" { // counted
			if s.perIP[sess.ip]--; s.perIP[sess.ip] <= 0 {
				delete(s.perIP, sess.ip)
			}
		}
	}
}

// sessionGone forgets a session whose connection is closed.
func (s *Server) sessionGone(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.closing, sess)
}

// hostOf is the IP of an address, as a string.
func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// bindData ties the passive listener on port to a session, and returns it.
func (s *Server) bindData(port int, b *dataBinding) *dataListener {
	s.mu.Lock()
	l := s.unboundLocked(port)
	s.mu.Unlock()
	if l != nil {
		l.bind(b)
	}
	return l
}

// unboundLocked returns the listener on port not yet bound to a session.
func (s *Server) unboundLocked(port int) *dataListener {
	for _, l := range s.passive[port] {
		if l.bound.Load() == nil {
			return l
		}
	}
	return nil
}

// registerPassive notes a new passive listener. With multiplexed ports,
// clients at different addresses may hold the same port at once (each
// with a listener of its own); a new listener waits until the one before
// it on its port is bound (its session is writing the 227/229 that names
// the port) or closed, so that bindData never has two to choose from.
func (s *Server) registerPassive(l *dataListener) {
	var timeout <-chan time.Time
	for range 100 {
		s.mu.Lock()
		prev := s.unboundLocked(l.port)
		if prev == nil {
			s.passive[l.port] = append(s.passive[l.port], l)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if timeout == nil {
			timeout = time.After(time.Second)
		}
		select {
		case <-prev.settled:
		case <-timeout:
			s.mu.Lock()
			s.passive[l.port] = append(s.passive[l.port], l)
			s.mu.Unlock()
			return
		}
	}
}

func (s *Server) forgetPassive(l *dataListener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := slices.DeleteFunc(s.passive[l.port], func(o *dataListener) bool { return o == l })
	if len(ls) == 0 {
		delete(s.passive, l.port)
	} else {
		s.passive[l.port] = ls
	}
}

// ownPort reports whether port is one mockftpd listens on: the control
// port, the admin API's, the passive range, the pool's passive ports, an
// open passive listener.
func (s *Server) ownPort(port int) bool {
	if port == s.Port() {
		return true
	}
	if _, p, err := net.SplitHostPort(s.cfg.AdminAddr); err == nil && p == strconv.Itoa(port) {
		return true
	}
	if r := s.cfg.PassivePorts; r.Start > 0 && port >= r.Start && port <= r.End {
		return true
	}
	if s.pool.has(port) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.passive[port]
	return ok
}

// Addr is the control address, e.g. "127.0.0.1:40123".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port is the control port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Fs is the filesystem the server serves; tests may read and write it
// directly while the server runs.
func (s *Server) Fs() afero.Fs { return s.fs }

// Journal is the record of every session's connection, commands, replies
// and end.
func (s *Server) Journal() *journal.Journal { return s.journal }

// Scenario is the scenario in force (normalized, with the rules AddRule
// added); it must not be changed.
func (s *Server) Scenario() *scenario.Scenario { return s.rt.Scenario() }

// State is the scenario state ("" at start).
func (s *Server) State() string { return s.rt.State() }

// SetState moves the scenario to state s, as a rule's next_state does.
func (s *Server) SetState(state string) { s.rt.SetState(state) }

// AddRule validates r against the scenario in force and puts it in front
// of its rules; the other rules keep their counters.
func (s *Server) AddRule(r scenario.Rule) error { return s.rt.PrependRule(r) }

// ClearRules removes every rule: commands reach the real server.
func (s *Server) ClearRules() { s.rt.ClearRules() }

// Config returns the configuration the server runs with (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// Sessions is the number of control connections open now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// SetScenario replaces the scenario in force; sessions already connected
// go on under the new rules. Its files that do not exist yet are seeded
// at once; a path that exists is left as it is (a file a client uploaded
// or changed, one of the previous scenario's): Reset makes the files
// exactly the scenario's. See ReplaceScenario for what it seeded.
func (s *Server) SetScenario(sc *scenario.Scenario) error {
	_, err := s.ReplaceScenario(sc)
	return err
}

// ReplaceScenario is SetScenario, and says how many of the scenario's
// files it seeded and how many paths it left as they were. A scenario
// that does not validate, or whose files cannot be seeded, is not put in
// force.
func (s *Server) ReplaceScenario(sc *scenario.Scenario) (Seeded, error) {
	norm, err := sc.Normalize() // a copy: the caller's scenario is never changed
	if err != nil {
		return Seeded{}, err
	}
	if err := withDialect(norm, &s.cfg); err != nil {
		return Seeded{}, err
	}
	seeded, err := seedMissing(s.fs, norm)
	if err != nil {
		return seeded, err
	}
	s.rt.Replace(norm)
	s.settings.Store(resolve(&s.cfg, norm))
	return seeded, nil
}

// Verify checks the scenario's expectations against the journal, and
// lists the commands no rule fired for that a rule came close to.
func (s *Server) Verify() scenario.Report {
	entries := s.journal.Entries()
	rep := scenario.Verify(s.rt.Scenario(), entries)
	rep.Unmatched = s.rt.NearMisses(entries)
	return rep
}

// Shutdown stops accepting connections, lets sessions finish what the real
// server owes them (transfers in flight) until ctx ends or the configured
// grace period passes, then closes everything.
func (s *Server) Shutdown(ctx context.Context) error {
	s.drainOnce.Do(func() { close(s.draining) })
	_ = s.ln.Close()
	s.mu.Lock()
	for sess := range s.sessions {
		sess.beginClose()
	}
	s.mu.Unlock()
	grace := time.NewTimer(s.cfg.ShutdownGrace)
	defer grace.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.Sessions() > 0 {
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), s.Close())
		case <-grace.C:
			return s.Close()
		case <-tick.C:
		}
	}
	return s.Close()
}

// Close stops the server at once: every connection is closed, and Close
// returns when all of the server's goroutines have ended.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		_ = s.ln.Close()
		s.mu.Lock()
		sessions := make([]*session, 0, len(s.sessions)+len(s.closing))
		for sess := range s.sessions {
			sessions = append(sessions, sess)
		}
		for sess := range s.closing {
			sessions = append(sessions, sess)
		}
		s.mu.Unlock()
		for _, sess := range sessions {
			sess.stop()
		}
		_ = s.ftp.Stop()
		s.wg.Wait()
		s.upstreams.Wait()
		// A -root folder's handle stays open (the garbage collector
		// releases it): ReadFile and Fs keep working after Close, to read
		// what clients left.
	})
	return nil
}

// minLevel passes on records at or above its level (or any, when the
// handler below is at debug level).
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return m.Handler.Enabled(ctx, l) && (l >= m.level || m.Handler.Enabled(ctx, slog.LevelDebug))
}

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(attrs), m.level}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.Handler.WithGroup(name), m.level}
}
