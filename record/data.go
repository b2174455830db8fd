package record

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dataLink relays one data connection: the proxy listens where it told
// one side to connect (the client after PASV/EPSV, the upstream after
// PORT/EPRT) and, when that side connects, connects to the other.
type dataLink struct {
	s    *session
	mode string // PASV, EPSV, PORT or EPRT
	// passive: the client connects to the proxy (PASV, EPSV); otherwise
	// the upstream does, and the proxy connects to the client
	passive bool
	ln      net.Listener
	target  string    // the address to connect to once a connection arrives
	tr      *Transfer // guarded by s.mu, as are the fields below
	upload  bool
	limit   int64
	conns   []net.Conn
	cutOff  bool
	// clientSide is closed once the client's end of the data connection
	// is open, or will never be (the link failed or ended).
	clientSide chan struct{}
	settle     sync.Once
}

// clientReady says that the client's end is open or never will be.
func (l *dataLink) clientReady() { l.settle.Do(func() { close(l.clientSide) }) }

// awaitClientData holds a transfer command's success reply (its 150, its
// 226) until the proxy has connected to the client in active mode (PORT,
// EPRT): the upstream connected to the proxy before it sent that reply,
// and the client must see the same order. curl, waiting for the server's
// connection, fails with "weird server reply" (exit 8) when a 226 comes
// first on the control connection, which a relayed reply would otherwise
// do whenever dialling the client is slower than relaying a line. In
// passive mode the client connected first, so nothing waits.
func (s *session) awaitClientData(l *dataLink) {
	if l.passive {
		return
	}
	t := time.NewTimer(s.p.cfg.DataTimeout)
	defer t.Stop()
	select {
	case <-l.clientSide:
	case <-s.done:
	case <-t.C:
	}
}

var (
	pasvAddr = regexp.MustCompile(`(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})`)
	epsvAddr = regexp.MustCompile(`\(([!-~])([!-~]?)([!-~]?)(\d{1,5})([!-~])\)`)
)

// passiveLink listens for the client where a 227 or 229 reply sends it and
// returns the reply rewritten to name that address; the upstream's data
// port is reached at the control connection's address (as curl does: an
// advertised address may be a private one).
func (s *session) passiveLink(verb, raw string) (string, bool) {
	var port int
	var loc []int
	if verb == "PASV" {
		m := pasvAddr.FindStringSubmatchIndex(raw)
		if m == nil {
			return "", false
		}
		p1, _ := strconv.Atoi(raw[m[10]:m[11]])
		p2, _ := strconv.Atoi(raw[m[12]:m[13]])
		port, loc = p1<<8|p2, m[:2]
	} else {
		m := epsvAddr.FindStringSubmatchIndex(raw)
		if m == nil {
			return "", false
		}
		port, _ = strconv.Atoi(raw[m[8]:m[9]])
		loc = m[8:10]
	}
	s.mu.Lock()
	upIP := s.upRaw.RemoteAddr().(*net.TCPAddr).IP
	localIP := s.raw.LocalAddr().(*net.TCPAddr).IP
	s.mu.Unlock()
	var v4 net.IP
	if verb == "PASV" {
		if v4 = localIP.To4(); v4 == nil {
			s.log.Warn("227 cannot carry an IPv6 address: the client's data connection bypasses the proxy")
			return "", false
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(localIP.String(), "0"))
	if err != nil {
		s.log.Warn("data listener", "err", err)
		return "", false
	}
	lp := ln.Addr().(*net.TCPAddr).Port
	var addr string
	if verb == "PASV" {
		addr = fmt.Sprintf("%d,%d,%d,%d,%d,%d", v4[0], v4[1], v4[2], v4[3], lp>>8, lp&0xff)
	} else {
		addr = strconv.Itoa(lp)
	}
	l := &dataLink{s: s, mode: verb, passive: true, ln: ln, target: net.JoinHostPort(upIP.String(), strconv.Itoa(port))}
	s.addLink(l)
	go l.serve()
	return raw[:loc[0]] + addr + raw[loc[1]:], true
}

// activeLink listens for the upstream's data connection in place of the
// client's PORT or EPRT address, and returns the command rewritten to
// name it.
func (s *session) activeLink(verb, arg, eol string) (string, bool) {
	target, err := parseActive(verb, arg)
	if err != nil {
		return "", false // the upstream answers the bad address itself
	}
	s.mu.Lock()
	localIP := s.upRaw.LocalAddr().(*net.TCPAddr).IP
	s.mu.Unlock()
	ln, err := net.Listen("tcp", net.JoinHostPort(localIP.String(), "0"))
	if err != nil {
		s.log.Warn("data listener", "err", err)
		return "", false
	}
	lp := ln.Addr().(*net.TCPAddr).Port
	var line string
	switch v4 := localIP.To4(); {
	case verb == "PORT" && v4 != nil:
		line = fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d", v4[0], v4[1], v4[2], v4[3], lp>>8, lp&0xff)
	case v4 != nil:
		line = fmt.Sprintf("EPRT |1|%s|%d|", v4, lp)
	default:
		line = fmt.Sprintf("EPRT |2|%s|%d|", localIP, lp)
	}
	l := &dataLink{s: s, mode: verb, ln: ln, target: target}
	s.addLink(l)
	go l.serve()
	return line + eol, true
}

// parseActive reads the address of a PORT or EPRT argument.
func parseActive(verb, arg string) (string, error) {
	arg = strings.TrimSpace(arg)
	if verb == "PORT" {
		var h [6]int
		if _, err := fmt.Sscanf(arg, "%d,%d,%d,%d,%d,%d", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]); err != nil {
			return "", err
		}
		for _, v := range h {
			if v < 0 || v > 255 {
				return "", errors.New("PORT number out of range")
			}
		}
		return net.JoinHostPort(fmt.Sprintf("%d.%d.%d.%d", h[0], h[1], h[2], h[3]), strconv.Itoa(h[4]<<8|h[5])), nil
	}
	if len(arg) < 5 {
		return "", errors.New("EPRT argument too short")
	}
	parts := strings.Split(arg[1:len(arg)-1], arg[:1])
	if len(parts) != 3 || net.ParseIP(parts[1]) == nil {
		return "", errors.New("bad EPRT argument")
	}
	if p, err := strconv.Atoi(parts[2]); err != nil || p <= 0 || p > 65535 {
		return "", errors.New("bad EPRT port")
	}
	return net.JoinHostPort(parts[1], parts[2]), nil
}

// addLink makes l the session's current data link; one that no transfer
// command took is dropped.
func (s *session) addLink(l *dataLink) {
	l.tr = &Transfer{Mode: l.mode}
	l.clientSide = make(chan struct{})
	l.limit = s.p.cfg.MaxFileBytes
	s.mu.Lock()
	old := s.link
	s.link = l
	s.links = append(s.links, l)
	s.linkWG.Add(1)
	s.mu.Unlock()
	if old != nil {
		_ = old.ln.Close() // a connection it accepted goes on
	}
}

// claim gives the current data link to a transfer command, and returns it.
func (s *session) claim(ex *Exchange) *dataLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.link
	if l == nil {
		return nil
	}
	s.link = nil
	l.upload = uploadVerbs[ex.Verb]
	l.tr.Upload = l.upload
	if listingVerbs[ex.Verb] {
		l.limit = max(l.limit, MaxListingBytes)
	}
	ex.Transfer = l.tr
	return l
}

// serve waits for the first side's connection, connects to the other
// side, terminates TLS on both when PROT P is in force, and relays.
func (l *dataLink) serve() {
	s := l.s
	defer s.linkWG.Done()
	defer l.clientReady()
	if tl, ok := l.ln.(*net.TCPListener); ok {
		_ = tl.SetDeadline(time.Now().Add(s.p.cfg.DataTimeout))
	}
	first, err := l.ln.Accept()
	_ = l.ln.Close()
	if err != nil {
		if !errors.Is(err, net.ErrClosed) {
			l.fail("no data connection: " + err.Error())
		}
		return
	}
	if !l.track(first) {
		return
	}
	second, err := dialData("tcp", l.target, s.p.cfg.DialTimeout)
	if err != nil {
		_ = first.Close()
		l.fail("connect to " + l.target + ": " + err.Error())
		return
	}
	if !l.track(second) {
		return
	}
	client, up := first, second
	if !l.passive {
		client, up = second, first
		l.clientReady()
	}
	s.mu.Lock()
	prot := s.protP
	l.tr.TLS = prot
	s.mu.Unlock()
	if prot {
		if client, up, err = l.handshakes(client, up); err != nil {
			l.fail("data TLS handshake: " + err.Error())
			return
		}
	}
	l.relay(client, up)
}

// dialData connects a data connection's second side (a variable so that
// a test can make it slow).
var dialData = net.DialTimeout

// lateHandshake is how long a data connection waits for the client's
// TLS ClientHello: a client that starts its handshake only when it reads
// or writes is taken to resume its session.
const lateHandshake = 500 * time.Millisecond

// handshakes terminates TLS on both sides of a data connection; the FTP
// client is always the TLS client (RFC 4217), whoever connected. The
// upstream's handshake comes first, so that a server refusing it refuses
// the client's too, as it would without the proxy. Towards the upstream
// the proxy resumes the control connection's TLS session exactly when the
// client's ClientHello tries to resume: vsftpd and ProFTPD refuse data
// connections that do not, and a client that does not resume (Python's
// ftplib) must get that refusal through the proxy too.
func (l *dataLink) handshakes(client, up net.Conn) (net.Conn, net.Conn, error) {
	s := l.s
	hello, complete := peekClientHello(client)
	cfg := s.upTLS.Clone()
	cfg.ClientSessionCache = readOnlyCache{s.upTLS.ClientSessionCache}
	if complete && !offersResumption(hello) {
		cfg.ClientSessionCache = nil
	}
	tu := tls.Client(up, cfg)
	if err := handshake(tu); err != nil {
		_ = client.Close()
		_ = up.Close()
		return nil, nil, fmt.Errorf("upstream: %w", err)
	}
	if len(hello) > 0 {
		client = &prefixConn{Conn: client, r: io.MultiReader(bytes.NewReader(hello), client)}
	}
	tc := tls.Server(client, s.p.clientTLS)
	if err := handshake(tc); err != nil {
		_ = client.Close()
		_ = up.Close()
		return nil, nil, fmt.Errorf("client: %w", err)
	}
	return tc, tu, nil
}

// readOnlyCache resumes the control connection's TLS session on a data
// connection without keeping the tickets the data connection gets: ProFTPD
// accepts only the control connection's session, and a session cache
// would replace it with the first data connection's.
type readOnlyCache struct{ tls.ClientSessionCache }

func (readOnlyCache) Put(string, *tls.ClientSessionState) {}

// peekClientHello reads the first TLS record the client sends, waiting at
// most lateHandshake; complete is false when it did not all come.
func peekClientHello(c net.Conn) (b []byte, complete bool) {
	_ = c.SetReadDeadline(time.Now().Add(lateHandshake))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	buf := make([]byte, 5, 5+1<<14)
	if n, err := io.ReadFull(c, buf); err != nil {
		return buf[:n], false
	}
	size := int(buf[3])<<8 | int(buf[4])
	if buf[0] != 0x16 || size > 1<<14 {
		return buf, false
	}
	buf = buf[:5+size]
	n, err := io.ReadFull(c, buf[5:])
	return buf[:5+n], err == nil
}

// offersResumption reports whether a ClientHello record tries to resume a
// session: a TLS 1.3 pre_shared_key, a TLS 1.2 session ticket, or a session
// ID from a client that speaks no TLS 1.3 (TLS 1.3 clients send a random
// one anyway).
func offersResumption(rec []byte) bool {
	b := rec[5:]
	if len(b) < 4 || b[0] != 1 { // client_hello
		return false
	}
	b = b[4:]
	if len(b) < 35 {
		return false
	}
	b = b[34:] // version, random
	sidLen := int(b[0])
	if len(b) < 1+sidLen+2 {
		return false
	}
	hasSessionID := sidLen > 0
	b = b[1+sidLen:]
	n := int(b[0])<<8 | int(b[1])
	if len(b) < 2+n+1 {
		return false
	}
	b = b[2+n:] // cipher suites
	n = int(b[0])
	if len(b) < 1+n+2 {
		return false
	}
	b = b[1+n:] // compression methods
	n = int(b[0])<<8 | int(b[1])
	if len(b) < 2+n {
		return false
	}
	b = b[2 : 2+n]
	tls13 := false
	for len(b) >= 4 {
		typ, size := int(b[0])<<8|int(b[1]), int(b[2])<<8|int(b[3])
		if len(b) < 4+size {
			return false
		}
		switch typ {
		case 41: // pre_shared_key
			return true
		case 35: // session_ticket
			if size > 0 {
				return true
			}
		case 43: // supported_versions
			tls13 = true
		}
		b = b[4+size:]
	}
	return hasSessionID && !tls13
}

// track registers a connection so that cut can close it; false when the
// link was cut meanwhile (the connection is then closed).
func (l *dataLink) track(c net.Conn) bool {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.cutOff {
		_ = c.Close()
		return false
	}
	l.conns = append(l.conns, c)
	return true
}

// cut closes the link's listener and connections.
func (l *dataLink) cut() {
	_ = l.ln.Close()
	l.s.mu.Lock()
	l.cutOff = true
	conns := l.conns
	l.s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// fail records why the data connection failed.
func (l *dataLink) fail(why string) {
	l.s.mu.Lock()
	if l.tr.Err == "" {
		l.tr.Err = why
	}
	l.s.mu.Unlock()
}

// relay copies both ways until both sides are done: the end of one
// direction is passed on as a half-close, an error closes both.
func (l *dataLink) relay(client, up net.Conn) {
	var once sync.Once
	abort := func(err error) {
		once.Do(func() {
			l.fail(err.Error())
			_ = client.Close()
			_ = up.Close()
		})
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := l.copy(client, up, false); err != nil {
			abort(err)
		}
	}()
	if err := l.copy(up, client, true); err != nil {
		abort(err)
	}
	wg.Wait()
	_ = client.Close()
	_ = up.Close()
}

// copy moves bytes from src to dst, recording those of the transfer's
// direction (upload: client to server).
func (l *dataLink) copy(dst, src net.Conn, upload bool) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			l.capture(upload, buf[:n])
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			closeWrite(dst)
			return nil
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil // closed by the other direction's abort
			}
			return err
		}
	}
}

// capture records bytes moving in the transfer's direction.
func (l *dataLink) capture(upload bool, b []byte) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if upload != l.upload {
		return
	}
	l.tr.Size += int64(len(b))
	room := l.limit - int64(len(l.tr.Data))
	if room < int64(len(b)) {
		l.tr.Truncated = true
		b = b[:max(room, 0)]
	}
	l.tr.Data = append(l.tr.Data, b...)
}
