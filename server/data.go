package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// Data connections. ftpserverlib moves a transfer's bytes over the
// connection its passive listener accepts; the engine wraps that listener
// (dataListener) and binds it to the session whose 227/229 reply names its
// port. A client's PORT or EPRT reaches ftpserverlib as EPSV: the binding
// then carries the client's address, and Accept dials it. So in both
// modes ftpserverlib reads and writes the engine's connection to the
// client, with TLS and the transfer's fault applied (openData), and its
// replies come in the order the data moves.

var (
	errRefused     = errors.New("data connection refused by the scenario")
	errCut         = errors.New("transfer cut by the scenario")
	errForeignData = errors.New("data connection from an address other than the client's")
)

// dataListener is ftpserverlib's passive listener, wrapped.
type dataListener struct {
	net.Listener
	srv       *Server
	port      int
	bound     atomic.Pointer[dataBinding]
	closed    chan struct{} // closed by Close: a dial or a refused wait stops
	closeOnce sync.Once
	settled   chan struct{} // closed once bound or closed (see registerPassive)
	settle    sync.Once
	taken     atomic.Bool // a connection came through (see Close)
}

// accept accepts from ftpserverlib's listener, noting a connection.
func (l *dataListener) accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.taken.Store(true)
	}
	return c, err
}

// bind ties the listener to a session.
func (l *dataListener) bind(b *dataBinding) {
	l.bound.Store(b)
	l.settle.Do(func() { close(l.settled) })
}

// dataBinding ties a passive listener to the session that announced it.
type dataBinding struct {
	sess   *session
	target *net.TCPAddr // PORT/EPRT: the client's address, dialed at Accept; nil for passive
}

// Accept gives ftpserverlib the transfer's data connection: the client's,
// accepted (passive) or dialed (PORT/EPRT).
func (l *dataListener) Accept() (net.Conn, error) {
	b := l.bound.Load()
	if b == nil {
		return l.accept()
	}
	s := b.sess
	tr := s.currentTransfer()
	if b.target != nil {
		return s.dialData(b.target, tr, l.closed)
	}
	raw, err := l.accept()
	if err != nil {
		return nil, err
	}
	if !sameHost(raw.RemoteAddr(), s.raw.RemoteAddr()) {
		s.logger().Warn("refused a data connection from another address than the client's", "from", raw.RemoteAddr().String())
		_ = raw.Close()
		return nil, errForeignData
	}
	return s.openData(raw, tr, l.closed)
}

// dropPending closes, with a FIN, the data connections a client opened to
// this listener that no transfer took: a transfer command the engine
// answered with an error never opens its data connection, and a real
// server (ProFTPD, pure-ftpd) then closes the one the client made.
func (l *dataListener) dropPending() {
	d, ok := l.Listener.(interface{ SetDeadline(time.Time) error })
	if !ok {
		return
	}
	// an accept takes what is queued at once; the deadline only bounds
	// the wait when nothing is
	_ = d.SetDeadline(time.Now().Add(5 * time.Millisecond))
	for range 16 {
		c, err := l.accept()
		if err != nil {
			break
		}
		l.srv.closeData(c)
	}
	_ = d.SetDeadline(time.Time{})
}

// Close closes the listener (with multiplexed ports, ends its
// reservation) and stops a dial or a wait in Accept.
func (l *dataListener) Close() error {
	var err error
	if !l.handedOver() {
		err = l.Listener.Close() // first: the port is free once the pool says so
	}
	l.closeOnce.Do(func() {
		close(l.closed)
		l.srv.forgetPassive(l)
		l.srv.pool.release(l.port)
	})
	l.settle.Do(func() { close(l.settled) })
	return err
}

// handedOver reports whether ftpserverlib's multiplexer handed this
// reservation a connection already. It forgot the reservation then, and
// closing it would end another: ftpserverlib v0.32.3 ends the reservation
// of the port for the client's address, whichever it is, so when the same
// client has reserved the port again from another session (two PASV/EPSVs
// offered the same free port at once), that session's data connection
// would be turned away and its transfer fail with 425 after the data
// timeout (seen in 200 sessions at once). Only a port reserved twice needs
// the question; a connection still waiting is taken (and closed) to answer.
func (l *dataListener) handedOver() bool {
	switch {
	case l.srv.pool == nil:
		return false
	case l.taken.Load():
		return true
	case !l.srv.pool.shared(l.port):
		return false
	}
	d, ok := l.Listener.(interface{ SetDeadline(time.Time) error })
	if !ok {
		return false
	}
	_ = d.SetDeadline(time.Now().Add(time.Millisecond))
	c, err := l.accept()
	if err != nil {
		return false
	}
	l.srv.closeData(c)
	return true
}

// sameHost reports whether two addresses have the same IP.
func sameHost(a, b net.Addr) bool {
	return net.ParseIP(hostOf(a)).Equal(net.ParseIP(hostOf(b)))
}

// dialData connects to the client's PORT/EPRT address for tr.
func (s *session) dialData(target *net.TCPAddr, tr *transfer, closed <-chan struct{}) (net.Conn, error) {
	if tr != nil && tr.fault != nil && tr.fault.Refuse == scenario.RefuseIgnore {
		// never connect: the client waits for a connection that never comes
		tr.note(endRefused)
		s.preliminary(tr, false)
		s.waitRefused(tr, closed)
		return nil, errRefused
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.DataTimeout)
	defer cancel()
	var stop <-chan struct{}
	if tr != nil {
		stop = tr.stop
	}
	go func() { // ABOR, the transfer's end or the session's stops the dial
		select {
		case <-closed:
		case <-stop:
		case <-s.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", target.String())
	if err != nil {
		s.debugf("active data connection failed", "target", target.String(), "err", err)
		if tr != nil {
			tr.note(endNone)
		}
		return nil, err
	}
	return s.openData(raw, tr, closed)
}

// waitRefused holds a refused ("ignore") data connection until the real
// server would give up on it, the client aborts, or the transfer ends.
func (s *session) waitRefused(tr *transfer, closed <-chan struct{}) {
	t := time.NewTimer(s.srv.cfg.DataTimeout)
	defer t.Stop()
	select {
	case <-tr.stop:
	case <-closed:
	case <-t.C:
	case <-s.done:
	}
}

// openData applies the session's data channel settings to a fresh data
// connection: the fault's refusal, TLS when PROT P is in force, an end
// before the first byte (after: 0), then the fault's shaping and the
// transfer's content. The returned connection carries the clear bytes.
// closed is closed when the listener (or the dial) is given up.
//
// A data connection the engine ends here never reaches ftpserverlib,
// which then sends no 1xx reply: the engine sends the step's own first
// (and, for after: 0, the server's usual one when the step has none), so
// that a scripted preliminary reply is never dropped.
func (s *session) openData(raw net.Conn, tr *transfer, closed <-chan struct{}) (net.Conn, error) {
	var f *scenario.DataFault
	if tr != nil {
		f = tr.fault
	}
	if f != nil && f.Refuse == scenario.RefuseIgnore {
		// passive mode: the client connected, nobody answers
		tr.note(endRefused)
		s.preliminary(tr, false)
		tr.hold(raw)
		s.waitRefused(tr, closed)
		return nil, errRefused
	}
	useTLS := false
	if tr != nil {
		useTLS = tr.tls
	} else {
		s.mu.Lock()
		useTLS = s.protP
		s.mu.Unlock()
	}
	var c net.Conn = raw
	if useTLS {
		cfg, err := s.srv.tls.get()
		if err != nil {
			_ = raw.Close()
			return nil, err
		}
		tc := tls.Server(raw, cfg)
		if err := s.requireReuse(tc, raw, tr); err != nil { // dialect_tls.go
			return nil, err
		}
		c = tc
	}
	switch after, cut := f.Cut(); {
	case f != nil && (f.Refuse == scenario.RefuseClose || f.Refuse == scenario.RefuseReset):
		tr.note(endRefused)
		end := scenario.EndClose
		if f.Refuse == scenario.RefuseReset {
			end = scenario.EndReset
		}
		s.endBeforeData(c, raw, tr, closed, end, false)
		return nil, errRefused
	case cut && after == 0:
		tr.note(faultEnding(f.End))
		tr.mu.Lock()
		tr.conn = true
		tr.mu.Unlock()
		s.endBeforeData(c, raw, tr, closed, f.End, true)
		return nil, errCut
	}
	fc := newFaultConn(c, raw, tr, uint64(s.srv.rt.Scenario().Seed), s.srv.cfg.DataTimeout)
	if tr != nil {
		tr.opened(fc)
	}
	return fc, nil
}

// endBeforeData ends a transfer's data connection c (raw under TLS)
// before its first byte, for a refusal (refuse: close or reset) or a cut
// at once (after: 0): the 1xx reply (the step's; with cut, the server's
// usual one when the step has none), the TLS handshake when there is one
// (clients start it once they have the 1xx, and a server that refuses a
// TLS data connection, say for a session not resumed, does so after it,
// with a close_notify), for a cut its delay_data, then the end: close
// (FIN), reset (RST) or stall (held until ABOR or the end).
func (s *session) endBeforeData(c, raw net.Conn, tr *transfer, closed <-chan struct{}, end scenario.DataEnd, cut bool) {
	tr.hold(raw) // the session's end or ABOR stops the handshake and the waits below
	s.preliminary(tr, cut)
	if tc, ok := c.(*tls.Conn); ok {
		_ = raw.SetDeadline(time.Now().Add(min(s.srv.cfg.DataTimeout, 10*time.Second)))
		if err := tc.Handshake(); err == nil && !cut && end == scenario.EndClose {
			// a refusal closes TLS cleanly (close_notify), as vsftpd does;
			// a cut does not: the client sees a truncated stream
			_ = tc.CloseWrite()
		}
		_ = raw.SetDeadline(time.Time{})
	}
	if d := s.srv.rt.Delay(tr.fault.DelayData); cut && d > 0 {
		s.waitData(tr, closed, time.After(d))
	}
	switch end {
	case scenario.EndReset:
		resetConn(raw)
	case scenario.EndStall:
		s.waitData(tr, closed, nil)
		_ = raw.Close()
	default:
		if tr.release(raw) { // the drain, not the transfer's end, closes it
			s.srv.closeData(raw)
		}
	}
}

// waitData waits until until fires, the transfer is aborted or ends, the
// listener (or dial) is given up, or the session ends.
func (s *session) waitData(tr *transfer, closed <-chan struct{}, until <-chan time.Time) {
	select {
	case <-until:
	case <-tr.stop:
	case <-tr.done:
	case <-closed:
	case <-s.done:
	}
}

// preliminary sends a 1xx reply to tr's command itself, for a data
// connection the engine ends before ftpserverlib would send one: the
// step's preliminary reply (after its delay_preliminary), or, with def,
// the one ftpserverlib sends.
func (s *session) preliminary(tr *transfer, def bool) {
	if tr == nil {
		return
	}
	var rs []reply
	switch st := tr.cmd.step; {
	case st != nil && len(st.Preliminary) > 0:
		for _, p := range st.Preliminary {
			rs = append(rs, fromScenario(p))
		}
	case def:
		rs = []reply{newReply(150, "Using transfer connection")}
	default:
		return
	}
	if f := tr.fault; f != nil && !s.sleep(s.srv.rt.Delay(f.DelayPreliminary)) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stalled {
		for _, r := range rs {
			s.emitLocked(tr.cmd, r)
		}
	}
}

// Bounds of what a data connection closed with a FIN still reads from the
// client: its unread bytes (a TLS ClientHello, an upload's first bytes)
// would turn the close into a TCP RST.
const (
	dataDrainBytes = 256 << 10
	dataDrainTime  = time.Second
)

// closeData closes a data connection with a FIN: shut for writing at once,
// then what the client still sends is read and dropped (bounded), in the
// background, before the connection is closed.
func (srv *Server) closeData(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		_ = c.Close()
		return
	}
	_ = tc.CloseWrite()
	srv.wg.Add(1)
	go func() {
		defer srv.wg.Done()
		_ = tc.SetReadDeadline(time.Now().Add(dataDrainTime))
		done := make(chan struct{})
		defer close(done)
		go func() { // the server stopping cuts the drain short
			select {
			case <-srv.closed:
				_ = tc.SetReadDeadline(time.Now())
			case <-done:
			}
		}()
		_, _ = io.CopyN(io.Discard, tc, dataDrainBytes)
		_ = tc.Close()
	}()
}

// cmdPASV binds the passive listener that ftpserverlib's 227/229 reply
// names to this session, and applies a scripted wrong address.
func (s *session) cmdPASV(cmd *command) {
	cmd.final = func(r reply) reply {
		if r.code != 227 && r.code != 229 {
			return s.passiveExhausted(r)
		}
		if port, ok := parsePassivePort(r); ok {
			s.dataLn = s.srv.bindData(port, &dataBinding{sess: s})
			s.dataMode = cmd.verb
		}
		if cmd.step != nil && cmd.step.Data != nil {
			r = rewritePassive(r, cmd.step.Data)
		}
		return r
	}
	s.forward(cmd, cmd.line())
}

// cmdPORT checks the client's PORT/EPRT address and asks ftpserverlib for
// a passive listener (EPSV) whose Accept will dial that address; the client
// hears that its PORT was accepted.
func (s *session) cmdPORT(cmd *command) {
	target, err := parseActiveAddr(cmd.verb, cmd.arg)
	if err != nil {
		s.answer(cmd, newReply(501, "Syntax error in parameters or arguments: "+err.Error()))
		return
	}
	if why := s.refuseDataAddr(target); why != "" {
		s.logger().Warn("refused a data address", "target", target.String(), "why", why)
		s.answer(cmd, newReply(501, "Your request does not meet the configured security requirements: "+why))
		return
	}
	cmd.final = func(r reply) reply {
		if r.code != 229 {
			return s.passiveExhausted(r) // ftpserverlib could not listen: its error stands
		}
		port, ok := parsePassivePort(r)
		if !ok {
			return newReply(425, "")
		}
		s.dataLn = s.srv.bindData(port, &dataBinding{sess: s, target: target})
		s.dataMode = cmd.verb
		return newReply(200, cmd.verb+" command successful")
	}
	s.forward(cmd, "EPSV")
}

// refuseDataAddr says why a PORT/EPRT address is refused (RFC 2577: no
// FTP bounce), or "" when it is fine: it must be the client's address, not
// a privileged port, and not one of mockftpd's own listening ports.
func (s *session) refuseDataAddr(t *net.TCPAddr) string {
	if s.srv.cfg.AllowForeignDataAddress {
		return ""
	}
	switch local := net.ParseIP(hostOf(s.raw.LocalAddr())); {
	case !net.ParseIP(hostOf(s.raw.RemoteAddr())).Equal(t.IP):
		return "the address is not the client's"
	case t.Port < 1024:
		return "port " + strconv.Itoa(t.Port) + " is below 1024"
	case (t.IP.IsLoopback() || t.IP.Equal(local)) && s.srv.ownPort(t.Port):
		return "port " + strconv.Itoa(t.Port) + " is one of the server's own"
	}
	return ""
}

// rewritePassive applies advertise_host/advertise_port to a 227/229 reply.
func rewritePassive(r reply, f *scenario.DataFault) reply {
	port, ok := parsePassivePort(r)
	if !ok || f == nil || (f.AdvertiseHost == "" && f.AdvertisePort == 0) {
		return r
	}
	if f.AdvertisePort != 0 {
		port = f.AdvertisePort
	}
	if r.code == 229 {
		return newReply(229, fmt.Sprintf("Entering Extended Passive Mode (|||%d|)", port))
	}
	t := r.text()
	host := ""
	if open := strings.IndexByte(t, '('); open >= 0 {
		f := strings.Split(t[open+1:], ",")
		if len(f) >= 4 {
			host = strings.Join(f[:4], ".")
		}
	}
	if f.AdvertiseHost != "" {
		host = f.AdvertiseHost
	}
	return newReply(227, fmt.Sprintf("Entering Passive Mode (%s,%d,%d)", strings.ReplaceAll(host, ".", ","), port>>8, port&0xff))
}

// parsePassivePort reads the port of a 227 or 229 reply.
func parsePassivePort(r reply) (int, bool) {
	t := r.text()
	switch r.code {
	case 227:
		open, end := strings.IndexByte(t, '('), strings.IndexByte(t, ')')
		if open < 0 || end < open {
			return 0, false
		}
		f := strings.Split(t[open+1:end], ",")
		if len(f) != 6 {
			return 0, false
		}
		p1, e1 := strconv.Atoi(strings.TrimSpace(f[4]))
		p2, e2 := strconv.Atoi(strings.TrimSpace(f[5]))
		if e1 != nil || e2 != nil {
			return 0, false
		}
		return p1<<8 | p2, true
	case 229:
		open := strings.Index(t, "(|||")
		if open < 0 {
			return 0, false
		}
		rest := t[open+4:]
		end := strings.IndexByte(rest, '|')
		if end < 0 {
			return 0, false
		}
		p, err := strconv.Atoi(rest[:end])
		return p, err == nil
	}
	return 0, false
}

// parseActiveAddr reads a PORT or EPRT argument.
func parseActiveAddr(verb, arg string) (*net.TCPAddr, error) {
	arg = strings.TrimSpace(arg)
	if verb == "PORT" {
		f := strings.Split(arg, ",")
		if len(f) != 6 {
			return nil, errors.New("bad PORT argument")
		}
		var b [6]int
		for i, x := range f {
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil || n < 0 || n > 255 {
				return nil, errors.New("bad PORT argument")
			}
			b[i] = n
		}
		return &net.TCPAddr{IP: net.IPv4(byte(b[0]), byte(b[1]), byte(b[2]), byte(b[3])), Port: b[4]<<8 | b[5]}, nil
	}
	if len(arg) < 2 {
		return nil, errors.New("bad EPRT argument")
	}
	f := strings.Split(arg[1:], arg[:1])
	if len(f) < 3 {
		return nil, errors.New("bad EPRT argument")
	}
	ip := net.ParseIP(f[1])
	port, err := strconv.Atoi(f[2])
	if ip == nil || err != nil || port < 1 || port > 65535 || (f[0] != "1" && f[0] != "2") {
		return nil, errors.New("bad EPRT argument")
	}
	return &net.TCPAddr{IP: ip, Port: port}, nil
}
