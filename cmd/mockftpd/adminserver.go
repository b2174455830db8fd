package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// adminTimeouts bound what one admin connection may take. File transfers
// go past read and write as long as they move (package admin moves the
// deadlines); everything else fits easily. Tests shorten them.
var adminTimeouts = struct {
	readHeader, read, write, idle time.Duration
}{
	readHeader: 10 * time.Second,
	read:       30 * time.Second,
	write:      60 * time.Second,
	idle:       60 * time.Second,
}

// defaultAdminMaxConnections is the default of -admin-max-connections.
const defaultAdminMaxConnections = 64

// newAdminServer is the HTTP server of the admin API: no request, idle
// connection or slow client holds a connection for ever.
func newAdminServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: adminTimeouts.readHeader,
		ReadTimeout:       adminTimeouts.read,
		WriteTimeout:      adminTimeouts.write,
		IdleTimeout:       adminTimeouts.idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// limitListener accepts at most cap(slots) connections at once: Accept
// waits for one to close, and the ones beyond wait in the kernel's backlog
// (as with golang.org/x/net/netutil.LimitListener).
type limitListener struct {
	net.Listener
	slots  chan struct{}
	closed chan struct{}
	once   sync.Once
	logger *slog.Logger

	mu       sync.Mutex
	lastWarn time.Time
}

func newLimitListener(ln net.Listener, n int, logger *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{}), logger: logger}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		l.warnFull()
		select {
		case l.slots <- struct{}{}:
		case <-l.closed:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

// warnFull logs, at most once a minute, that connections wait.
func (l *limitListener) warnFull() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.lastWarn) < time.Minute {
		return
	}
	l.lastWarn = time.Now()
	l.logger.Warn("admin API: every connection slot is taken; new connections wait for one to close", "max", cap(l.slots), "flag", "-admin-max-connections")
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}

// limitConn gives its slot back once, when it is closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// isLoopback reports whether the listen address addr ("host:port") only
// accepts connections from this machine: its host is a loopback IP or
// "localhost". An empty host (":8021") listens on every interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkListen says whether the admin API may listen on addr with token:
// beyond loopback a token is required. The error is meant for a person.
func checkListen(addr, token string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("admin address %q: want host:port, e.g. 127.0.0.1:8021", addr)
	}
	if token == "" && !isLoopback(addr) {
		return fmt.Errorf("the admin API on %s would be reachable beyond loopback, so it needs a token: set -admin-token or MOCKFTPD_ADMIN_TOKEN (or -admin-token-file), or listen on a loopback address such as 127.0.0.1:8021", addr)
	}
	return nil
}

// pageURL is the address of the admin API's live page for a browser on
// this machine: a wildcard listen address becomes loopback.
func pageURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/ui/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/ui/"
}

// tokenHint says how the page gets the token.
func tokenHint(required bool) string {
	if !required {
		return "none needed"
	}
	return "the page asks for it once (or append #token=<token> to the url)"
}
