package server

import (
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

// transfer is the data side of one transfer command (RETR, STOR, APPE,
// LIST, NLST, MLSD): the scripted fault, if any, and what happened.
type transfer struct {
	sess     *session
	entry    *Entry
	verb     string
	fault    *scenario.DataFault
	mode     string
	tls      bool
	bytesIn  atomic.Int64
	bytesOut atomic.Int64
	cut      atomic.Bool
	ending   atomic.Value // string: how a fault ended it
	opened   atomic.Bool
	done     chan struct{}
	doneOnce sync.Once

	mu         sync.Mutex
	held       []net.Conn // connections to close when the transfer ends
	uploadPath string     // set by the filesystem when an upload file is opened

	relayDone chan struct{} // closed when the active-mode relay ends; the final reply waits for it
}

var errRefused = errors.New("data connection refused by the scenario")

func (s *session) startTransfer(cmd *pendingCmd, fault *scenario.DataFault) *transfer {
	tr := &transfer{sess: s, entry: cmd.entry, verb: cmd.verb, fault: fault, mode: s.dataMode, tls: s.protP, done: make(chan struct{})}
	s.mu.Lock()
	s.transfer = tr
	s.mu.Unlock()
	return tr
}

// currentTransfer is the transfer command being served, if any.
func (s *session) currentTransfer() *transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transfer
}

func (s *session) transferRunning() bool {
	for _, p := range s.pending {
		if p.transfer != nil {
			return true
		}
	}
	return false
}

// endTransfer closes the books on tr when its final reply arrives. In
// active mode the relay to the client finishes first, as a real server
// closes the data connection before it says 226.
func (s *session) endTransfer(tr *transfer, final reply) {
	tr.mu.Lock()
	relayed := tr.relayDone
	tr.mu.Unlock()
	if relayed != nil {
		t := time.NewTimer(s.srv.cfg.DataTimeout)
		select {
		case <-relayed:
		case <-t.C:
		case <-s.done:
		}
		t.Stop()
	}
	tr.finish()
	s.mu.Lock()
	if s.transfer == tr {
		s.transfer = nil
	}
	s.mu.Unlock()
	end := "complete"
	if v, ok := tr.ending.Load().(string); ok {
		end = v
	} else if final.code/100 != 2 {
		end = "failed"
		if final.code == 426 {
			end = "aborted"
		}
		if !tr.opened.Load() {
			end = "none"
		}
	}
	if tr.cut.Load() && tr.fault != nil && tr.fault.KeepPartial != nil && !*tr.fault.KeepPartial {
		tr.mu.Lock()
		p := tr.uploadPath
		tr.mu.Unlock()
		if p != "" {
			if err := s.srv.fs.Remove(p); err != nil {
				s.log.Warn("could not discard partial upload", "path", p, "err", err)
			}
		}
	}
	info := &TransferInfo{Mode: tr.mode, TLS: tr.tls, BytesIn: tr.bytesIn.Load(), BytesOut: tr.bytesOut.Load(), End: end}
	s.srv.journal.update(func() { tr.entry.Transfer = info })
}

func (s *session) endAllTransfers() {
	s.mu.Lock()
	tr := s.transfer
	s.transfer = nil
	s.mu.Unlock()
	if tr != nil {
		tr.finish()
	}
}

// finish wakes everything waiting on the transfer and closes held connections.
func (tr *transfer) finish() {
	tr.doneOnce.Do(func() {
		close(tr.done)
		tr.mu.Lock()
		for _, c := range tr.held {
			_ = c.Close()
		}
		tr.held = nil
		tr.mu.Unlock()
	})
}

func (tr *transfer) hold(c net.Conn) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	select {
	case <-tr.done:
		_ = c.Close()
	default:
		tr.held = append(tr.held, c)
	}
}

func (tr *transfer) setEnding(how string) {
	tr.ending.CompareAndSwap(nil, how)
}

// wrapData applies the session's data-channel settings to a fresh data
// connection: TLS when PROT P is in force, then the transfer's fault.
// For active mode the engine dials the client, for passive it accepted it;
// either way the returned conn carries the clear bytes.
func (s *session) wrapData(raw net.Conn, tr *transfer) (net.Conn, error) {
	if tr != nil {
		tr.opened.Store(true)
		if tr.fault != nil {
			switch tr.fault.Refuse {
			case scenario.RefuseClose:
				tr.setEnding("refused")
				_ = raw.Close()
				return nil, errRefused
			case scenario.RefuseIgnore:
				tr.setEnding("refused")
				tr.hold(raw)
				t := time.NewTimer(s.srv.cfg.DataTimeout)
				defer t.Stop()
				select {
				case <-tr.done:
				case <-t.C:
				case <-s.done:
				}
				return nil, errRefused
			}
		}
	}
	var c net.Conn = raw
	if s.protP {
		cfg, err := s.srv.tls.get()
		if err != nil {
			_ = raw.Close()
			return nil, err
		}
		c = tls.Server(raw, cfg)
	}
	fc := &faultConn{Conn: c, raw: raw, tr: tr, closed: make(chan struct{})}
	if tr != nil && tr.fault != nil {
		fc.f = tr.fault
		fc.seed = uint64(s.srv.runtime().Scenario().Seed)
	}
	return fc, nil
}

// faultConn is a data connection as ftpserverlib sees it: it counts the
// bytes for the journal and carries out the transfer's scripted fault
// (cut, reset, stall, throttle, chunks, corruption, delayed data).
type faultConn struct {
	net.Conn
	raw       net.Conn
	tr        *transfer
	f         *scenario.DataFault
	seed      uint64
	moved     int64 // bytes moved so far (both ways), for After
	pos       int64 // stream position, for Corrupt
	started   bool
	paceStart time.Time
	paced     int64
	closed    chan struct{}
	closeOnce sync.Once
	buf       []byte
}

var errCut = errors.New("transfer cut by the scenario")

func (c *faultConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.Conn.Close()
	})
	return err
}

// budget returns how many of n bytes may move now; 0 means the cut is due.
func (c *faultConn) budget(n int) int {
	if c.f == nil {
		return n
	}
	if c.f.After > 0 {
		left := c.f.After - c.moved
		if left <= 0 {
			return 0
		}
		if int64(n) > left {
			n = int(left)
		}
	}
	if c.f.Chunk > 0 && int64(n) > c.f.Chunk {
		n = int(c.f.Chunk)
	}
	if c.f.Rate > 0 {
		// pace in slices of at most 1/20 s worth of bytes
		slice := max(c.f.Rate/20, 1)
		if int64(n) > slice {
			n = int(slice)
		}
	}
	return n
}

// before waits as the fault says before n bytes move.
func (c *faultConn) before(n int) error {
	if c.f == nil {
		return nil
	}
	if !c.started {
		c.started = true
		if d := c.tr.sess.srv.runtime().Delay(c.f.DelayData); d > 0 {
			if err := c.wait(d); err != nil {
				return err
			}
		}
		c.paceStart = time.Now()
	} else if c.f.Chunk > 0 && c.f.ChunkDelay > 0 {
		if err := c.wait(c.f.ChunkDelay); err != nil {
			return err
		}
	}
	if c.f.Rate > 0 {
		due := c.paceStart.Add(time.Duration(float64(c.paced+int64(n)) / float64(c.f.Rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			if err := c.wait(d); err != nil {
				return err
			}
		}
		c.paced += int64(n)
	}
	return nil
}

func (c *faultConn) wait(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.closed:
		return net.ErrClosed
	case <-c.tr.done:
		return net.ErrClosed
	}
}

// cutNow ends the transfer the way the fault says.
func (c *faultConn) cutNow() error {
	c.tr.cut.Store(true)
	switch c.f.End {
	case scenario.EndReset:
		c.tr.setEnding("reset")
		resetConn(c.raw)
	case scenario.EndStall:
		c.tr.setEnding("stalled")
		select {
		case <-c.closed:
		case <-c.tr.done:
		case <-c.tr.sess.done:
		}
	default:
		c.tr.setEnding("cut")
		_ = c.raw.Close()
	}
	return errCut
}

func (c *faultConn) Write(p []byte) (int, error) {
	if c.f == nil {
		n, err := c.Conn.Write(p)
		c.count(n, false)
		return n, err
	}
	written := 0
	for len(p) > 0 {
		n := c.budget(len(p))
		if n == 0 {
			return written, c.cutNow()
		}
		if err := c.before(n); err != nil {
			return written, err
		}
		chunk := p[:n]
		if c.f.Corrupt > 0 {
			c.buf = append(c.buf[:0], chunk...)
			c.corrupt(c.buf)
			chunk = c.buf
		}
		w, err := c.Conn.Write(chunk)
		c.count(w, false)
		written += w
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (c *faultConn) Read(p []byte) (int, error) {
	if c.f == nil {
		n, err := c.Conn.Read(p)
		c.count(n, true)
		return n, err
	}
	n := c.budget(len(p))
	if n == 0 {
		return 0, c.cutNow()
	}
	if err := c.before(n); err != nil {
		return 0, err
	}
	r, err := c.Conn.Read(p[:n])
	if c.f.Corrupt > 0 {
		c.corrupt(p[:r])
	}
	c.count(r, true)
	return r, err
}

func (c *faultConn) count(n int, in bool) {
	if n <= 0 || c.tr == nil {
		return
	}
	c.moved += int64(n)
	if in {
		c.tr.bytesIn.Add(int64(n))
	} else {
		c.tr.bytesOut.Add(int64(n))
	}
}

// corrupt flips bytes of b in place: about one in every f.Corrupt, chosen
// by a hash of the seed and the stream position, so runs repeat.
func (c *faultConn) corrupt(b []byte) {
	every := uint64(c.f.Corrupt)
	for i := range b {
		h := splitmix(c.seed ^ uint64(c.pos+int64(i))*0x9e3779b97f4a7c15)
		if h%every == 0 {
			b[i] ^= byte(h>>32) | 1
		}
	}
	c.pos += int64(len(b))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// dataListener wraps ftpserverlib's passive listener: the connections it
// accepts belong to the session the engine bound to its port when it
// relayed the 227/229 reply.
type dataListener struct {
	net.Listener
	srv  *Server
	port int
	sess atomic.Pointer[session]
}

func (l *dataListener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	s := l.sess.Load()
	if s == nil {
		return raw, nil
	}
	return s.wrapData(raw, s.currentTransfer())
}

func (l *dataListener) Close() error {
	l.srv.unbindPassive(l)
	return l.Listener.Close()
}

// bindPassive ties the passive listener named in a 227/229 reply to this
// session and applies a scripted wrong address.
func (s *session) bindPassive(cmd *pendingCmd, r reply) {
	if r.code != 227 && r.code != 229 {
		return
	}
	port, ok := parsePassivePort(r)
	if !ok {
		return
	}
	s.srv.bindPassive(port, s)
	s.dataMode = cmd.verb
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

// activeProxy stands between ftpserverlib's active-mode dial and the
// client's PORT address, so that data faults and TLS apply in active mode
// as in passive mode.
type activeProxy struct {
	ln     net.Listener
	target string
	mode   string
	once   sync.Once
}

func (p *activeProxy) close() {
	p.once.Do(func() { _ = p.ln.Close() })
}

// handlePORT checks the client's PORT/EPRT address, then hands the real
// server the address of a proxy on loopback.
func (s *session) handlePORT(cmd *pendingCmd) bool {
	target, err := parseActiveAddr(cmd.verb, cmd.arg)
	if err != nil {
		// let the real server say what is wrong with it
		return s.forward(cmd, joinCommand(cmd.verb, cmd.arg))
	}
	if !s.srv.cfg.AllowForeignDataAddress {
		clientIP, _, _ := net.SplitHostPort(s.raw.RemoteAddr().String())
		if !net.ParseIP(clientIP).Equal(target.IP) {
			s.log.Warn("refused a data address other than the client's", "target", target.String(), "client", clientIP)
			s.finalReply(cmd, newReply(501, "Your request does not meet the configured security requirements"))
			return true
		}
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		s.finalReply(cmd, newReply(425, "Can't open data connection: "+err.Error()))
		return true
	}
	proxy := &activeProxy{ln: ln, target: target.String(), mode: cmd.verb}
	s.closeActive()
	s.mu.Lock()
	s.active = proxy
	s.mu.Unlock()
	s.wg.Add(1)
	go s.serveActive(proxy)
	port := ln.Addr().(*net.TCPAddr).Port
	line := fmt.Sprintf("PORT 127,0,0,1,%d,%d", port>>8, port&0xff)
	if cmd.verb == "EPRT" {
		line = fmt.Sprintf("EPRT |1|127.0.0.1|%d|", port)
	}
	cmd.onFinal = func(r reply) {
		if r.code/100 == 2 {
			s.dataMode = cmd.verb
		} else {
			s.closeActive()
		}
	}
	return s.forward(cmd, line)
}

func (s *session) closeActive() {
	s.mu.Lock()
	p := s.active
	s.active = nil
	s.mu.Unlock()
	if p != nil {
		p.close()
	}
}

// serveActive relays each connection the real server opens to the proxy
// to the client's address, with TLS and the transfer's fault applied.
func (s *session) serveActive(p *activeProxy) {
	defer s.wg.Done()
	for {
		up, err := p.ln.Accept()
		if err != nil {
			return
		}
		tr := s.currentTransfer()
		s.relayActive(up, p, tr)
	}
}

func (s *session) relayActive(up net.Conn, p *activeProxy, tr *transfer) {
	defer up.Close()
	if tr != nil {
		done := make(chan struct{})
		tr.mu.Lock()
		tr.relayDone = done
		tr.mu.Unlock()
		defer close(done)
	}
	if tr != nil && tr.fault != nil && tr.fault.Refuse == scenario.RefuseIgnore {
		// never connect to the client: it waits for a connection that never comes
		tr.setEnding("refused")
		tr.opened.Store(true)
		t := time.NewTimer(s.srv.cfg.DataTimeout)
		defer t.Stop()
		select {
		case <-tr.done:
		case <-t.C:
		case <-s.done:
		}
		return
	}
	d := net.Dialer{Timeout: s.srv.cfg.DataTimeout}
	raw, err := d.Dial("tcp", p.target)
	if err != nil {
		s.log.Debug("active data connection failed", "target", p.target, "err", err)
		return
	}
	dc, err := s.wrapData(raw, tr)
	if err != nil {
		return
	}
	defer dc.Close()
	relayed := make(chan struct{})
	defer close(relayed)
	go func() {
		// the session's end (or the server's) interrupts the relay
		select {
		case <-s.done:
			_ = up.Close()
			_ = dc.Close()
		case <-relayed:
		}
	}()
	// Relay both ways until the real server closes its side (download) or
	// the client closes its side (upload).
	errc := make(chan error, 2)
	go func() {
		_, err := io.Copy(dc, up) // server -> client
		if cw, ok := dc.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_ = dc.Close()
		errc <- err
	}()
	go func() {
		_, err := io.Copy(up, dc) // client -> server
		if cw, ok := up.(*net.TCPConn); ok {
			_ = cw.CloseWrite()
		}
		errc <- err
	}()
	<-errc
	select {
	case <-errc:
	case <-time.After(s.srv.cfg.DataTimeout):
		_ = up.Close()
		_ = dc.Close()
		<-errc
	}
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
