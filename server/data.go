package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/scenario"
)

// How a transfer ended, as the journal says it (TransferInfo.End).
const (
	endComplete = "complete" // every byte moved and the server said 2xx
	endCut      = "cut"      // a fault closed the data connection (FIN) after After bytes
	endReset    = "reset"    // a fault reset it (RST) after After bytes
	endStalled  = "stalled"  // a fault stopped the bytes after After and held the connection
	endRefused  = "refused"  // a fault refused the data connection (ignore, close or 425)
	endAborted  = "aborted"  // the client sent ABOR, or the server said 426
	endFailed   = "failed"   // the server's final reply was an error
	endNone     = "none"     // no data connection was ever made
)

// transfer is the data side of one transfer command (RETR, STOR, APPE,
// STOU, LIST, NLST, MLSD): the scripted fault, if any, and what happened.
//
// A fault shapes the direction the transfer's data flows in (server to
// client for downloads and listings, client to server for uploads); the
// other direction is only counted. Passive connections are wrapped where
// ftpserverlib accepts them, active ones in the engine's relay to the
// client, so both modes, with or without TLS, see the same faultConn.
type transfer struct {
	sess   *session
	entry  *Entry
	verb   string
	upload bool
	fault  *scenario.DataFault
	mode   string
	tls    bool
	relay  *relay // active mode: the engine's relay to the client

	bytesIn  atomic.Int64
	bytesOut atomic.Int64
	cut      atomic.Bool  // a fault ended the flow of bytes (cut, reset or stall)
	aborted  atomic.Bool  // the client sent ABOR while the transfer ran
	noConn   atomic.Bool  // active mode: the client's address could not be reached
	broken   atomic.Bool  // active mode: the client's data connection failed midway
	opened   atomic.Bool  // a data connection was made
	ending   atomic.Value // string: how a fault ended it

	done      chan struct{} // closed when the final reply is handled or the session ends
	doneOnce  sync.Once
	abort     chan struct{} // closed when the client sends ABOR
	abortOnce sync.Once

	mu         sync.Mutex
	held       []net.Conn // connections to close when the transfer ends
	relayConns []net.Conn // active mode: closed at ABOR too
	uploadPath string     // set by the filesystem when an upload file is opened
	uploadBase int64      // bytes the file held before the upload (APPE, REST)
}

// relay is the state of an active-mode transfer's relay. ftpserverlib talks
// to a loopback proxy, not to the client, so its replies run ahead of the
// data: the engine holds its 1xx until the relay has reached the client (and
// drops it when it could not, as a real server sends 425 without 150), and
// its final reply until the relay has delivered the last byte.
type relay struct {
	ready     chan struct{} // closed once the relay reached the client or gave up
	readyOnce sync.Once
	done      chan struct{} // closed when the relay ends
	doneOnce  sync.Once
	claimed   atomic.Bool // a connection from ftpserverlib is being relayed
	reached   atomic.Bool // the client's data connection is open
	seen      atomic.Bool // ftpserverlib's 1xx went by: its final reply waits for done
}

func newRelay() *relay {
	return &relay{ready: make(chan struct{}), done: make(chan struct{})}
}

func (rl *relay) markReady(reached bool) {
	rl.readyOnce.Do(func() {
		rl.reached.Store(reached)
		close(rl.ready)
	})
}

func (rl *relay) finish() {
	rl.markReady(false)
	rl.doneOnce.Do(func() { close(rl.done) })
}

var (
	errRefused = errors.New("data connection refused by the scenario")
	errCut     = errors.New("transfer cut by the scenario")
)

func isUpload(verb string) bool { return verb == "STOR" || verb == "APPE" || verb == "STOU" }

func (s *session) startTransfer(cmd *pendingCmd, fault *scenario.DataFault) *transfer {
	tr := &transfer{
		sess: s, entry: cmd.entry, verb: cmd.verb, upload: isUpload(cmd.verb), fault: fault,
		mode: s.dataMode, tls: s.protP, done: make(chan struct{}), abort: make(chan struct{}),
	}
	s.mu.Lock()
	if (s.dataMode == "PORT" || s.dataMode == "EPRT") && s.active != nil {
		tr.relay = newRelay()
	}
	s.transfer = tr
	s.mu.Unlock()
	return tr
}

// refuse425 answers a transfer command with 425 without opening its data
// connection, as a refuse: 425 fault says; false if the session ended.
func (s *session) refuse425(cmd *pendingCmd, f *scenario.DataFault) bool {
	info := &TransferInfo{Mode: s.dataMode, TLS: s.protP, End: endRefused}
	s.srv.journal.update(func() { cmd.entry.Transfer = info })
	if !s.sleep(s.srv.runtime().Delay(f.DelayFinal)) {
		return false
	}
	s.finalReply(cmd, newReply(425, ""))
	return true
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

// gateReply runs in readUpstream for every reply of the real server before
// the session sees it; false drops the reply. It only acts on active-mode
// transfers (see relay).
func (s *session) gateReply(r reply) bool {
	tr := s.currentTransfer()
	if tr == nil || tr.relay == nil {
		return true
	}
	rl := tr.relay
	if r.preliminary() {
		t := time.NewTimer(2 * s.srv.cfg.DataTimeout) // a backstop: the relay decides within DataTimeout
		defer t.Stop()
		select {
		case <-rl.ready:
		case <-t.C:
		case <-s.done:
		}
		rl.seen.Store(true)
		return rl.reached.Load()
	}
	switch r.code {
	case 211, 212, 213: // STAT answered during the transfer
		return true
	}
	if rl.seen.Load() {
		select {
		case <-rl.done:
		case <-s.done:
		}
	}
	return true
}

// abortTransfer is the engine's part of ABOR: in active mode ftpserverlib
// may be done long before the relay is, so the engine ends the relay itself;
// a refused connection stops waiting.
func (s *session) abortTransfer() {
	tr := s.currentTransfer()
	if tr == nil {
		return
	}
	tr.abortOnce.Do(func() {
		tr.aborted.Store(true)
		close(tr.abort)
		tr.mu.Lock()
		conns := tr.relayConns
		tr.relayConns = nil
		tr.mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
}

// endTransfer closes the books on tr when the real server's final reply
// arrives, and returns the reply to send (send is false for a scripted
// "none"); ok is false when the session ended meanwhile.
func (s *session) endTransfer(tr *transfer, final reply) (r reply, send, ok bool) {
	tr.finish()
	s.mu.Lock()
	if s.transfer == tr {
		s.transfer = nil
	}
	s.mu.Unlock()
	end := tr.outcome(final)
	f := tr.fault
	if f != nil && f.KeepPartial != nil && !*f.KeepPartial && (tr.cut.Load() || end == endRefused) {
		s.discardUpload(tr)
	}
	info := &TransferInfo{Mode: tr.mode, TLS: tr.tls, BytesIn: tr.bytesIn.Load(), BytesOut: tr.bytesOut.Load(), End: end}
	s.srv.journal.update(func() { tr.entry.Transfer = info })

	r, send = tr.finalReply(final, end)
	if f != nil && !s.sleep(s.srv.runtime().Delay(f.DelayFinal)) {
		return r, send, false
	}
	return r, send, true
}

// discardUpload undoes what a cut upload stored (keep_partial: false): the
// file goes, or, after APPE or REST, goes back to what it held before.
func (s *session) discardUpload(tr *transfer) {
	tr.mu.Lock()
	p, base := tr.uploadPath, tr.uploadBase
	tr.mu.Unlock()
	if p == "" {
		return
	}
	var err error
	if base > 0 {
		var f afero.File
		if f, err = s.srv.fs.OpenFile(p, os.O_WRONLY, 0); err == nil {
			err = errors.Join(f.Truncate(base), f.Close())
		}
	} else {
		err = s.srv.fs.Remove(p)
	}
	if err != nil {
		s.log.Warn("could not discard partial upload", "path", p, "err", err)
	}
}

// outcome says how tr ended (TransferInfo.End), given the real server's final reply.
func (tr *transfer) outcome(final reply) string {
	if v, ok := tr.ending.Load().(string); ok {
		return v
	}
	switch {
	case tr.aborted.Load():
		return endAborted
	case tr.noConn.Load():
		return endNone
	case tr.broken.Load():
		return endFailed
	case final.code/100 == 2:
		return endComplete
	case !tr.opened.Load():
		return endNone
	case final.code == 426:
		return endAborted
	}
	return endFailed
}

// finalReply is the reply the client gets. The real server cannot know what
// the engine did to the data connection, so after a fault its reply is
// replaced: by the scripted one (Reply; Code 0 without Raw sends none), or
// else by what a server says when its data connection breaks: 425 when it
// never opened, 426 when it broke midway. In active mode the real server
// may be done before the relay: a client that went away meanwhile, or an
// ABOR it did not see in time, also gets 426.
func (tr *transfer) finalReply(final reply, end string) (reply, bool) {
	f := tr.fault
	scripted := func(def int) (reply, bool) {
		if f != nil && f.Reply != nil {
			if f.Reply.Code == 0 && f.Reply.Raw == "" {
				return final, false
			}
			return fromScenario(*f.Reply), true
		}
		return newReply(def, ""), true
	}
	switch {
	case end == endRefused:
		return scripted(425)
	case tr.cut.Load():
		return scripted(426)
	case tr.noConn.Load():
		return newReply(425, ""), true
	case (tr.aborted.Load() || tr.broken.Load()) && final.code/100 == 2:
		return newReply(426, ""), true
	}
	return final, true
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
		conns := append(tr.held, tr.relayConns...)
		tr.held, tr.relayConns = nil, nil
		tr.mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
}

// hold keeps c to be closed when the transfer ends; relayed connections
// are closed at ABOR as well.
func (tr *transfer) hold(c net.Conn, relayed bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	select {
	case <-tr.done:
		_ = c.Close()
		return
	default:
	}
	if relayed {
		select {
		case <-tr.abort:
			_ = c.Close()
		default:
			tr.relayConns = append(tr.relayConns, c)
		}
		return
	}
	tr.held = append(tr.held, c)
}

func (tr *transfer) setEnding(how string) {
	tr.ending.CompareAndSwap(nil, how)
}

// waitRefused holds a refused ("ignore") data connection until the real
// server would give up on it, the client aborts, or the transfer ends.
func (s *session) waitRefused(tr *transfer) {
	t := time.NewTimer(s.srv.cfg.DataTimeout)
	defer t.Stop()
	select {
	case <-tr.done:
	case <-tr.abort:
	case <-t.C:
	case <-s.done:
	}
}

// wrapData applies the session's data-channel settings to a fresh data
// connection: TLS when PROT P is in force, then the transfer's fault.
// For active mode the engine dialed the client, for passive it accepted it;
// either way the returned conn carries the clear bytes.
func (s *session) wrapData(raw net.Conn, tr *transfer) (net.Conn, error) {
	if tr != nil && tr.fault != nil {
		switch tr.fault.Refuse {
		case scenario.RefuseClose:
			tr.setEnding(endRefused)
			_ = raw.Close()
			return nil, errRefused
		case scenario.RefuseIgnore:
			// passive mode: the client connected, nobody answers
			tr.setEnding(endRefused)
			tr.hold(raw, false)
			s.waitRefused(tr)
			return nil, errRefused
		}
	}
	if tr != nil {
		tr.opened.Store(true)
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
	if tr != nil && isListing(tr.verb) && !fc.shaped(false) && (tr.mode == "PASV" || tr.mode == "EPSV") {
		// ftpserverlib writes a listing one line per write: buffer them
		// (it flushes before closing, see its TransferClose). In active
		// mode the proxy's copy already sends them in large writes.
		fc.bw = bufio.NewWriterSize(sentCounter{fc}, listingBuffer)
	}
	return fc, nil
}

// listingBuffer is the write buffer of a listing's data connection.
const listingBuffer = 64 << 10

func isListing(verb string) bool { return verb == "LIST" || verb == "NLST" || verb == "MLSD" }

// sentCounter writes to a faultConn's connection and counts what was sent.
type sentCounter struct{ c *faultConn }

func (w sentCounter) Write(p []byte) (int, error) {
	n, err := w.c.Conn.Write(p)
	w.c.count(n, false)
	return n, err
}

// Flush sends what a buffered listing holds; ftpserverlib calls it before
// it closes the data connection.
func (c *faultConn) Flush() error {
	if c.bw == nil {
		return nil
	}
	return c.bw.Flush()
}

// faultConn is a data connection as the server side sees it: it counts the
// bytes each way for the journal and carries out the transfer's scripted
// fault (cut, reset, stall, throttle, chunks, corruption, delayed data) on
// the direction the transfer's data flows in.
type faultConn struct {
	net.Conn
	raw       net.Conn // the TCP connection under TLS, if any
	tr        *transfer
	f         *scenario.DataFault // nil: count only
	seed      uint64
	closed    chan struct{}
	closeOnce sync.Once
	rd, wr    flow          // state per direction: Read is client to server, Write server to client
	bw        *bufio.Writer // buffers the many small writes of a listing
	probe     [1]byte
}

// flow is the fault's state for one direction of a data connection; only
// one goroutine reads and one writes a connection at a time.
type flow struct {
	moved     int64 // bytes moved so far, for After
	started   bool
	paceStart time.Time
	paced     int64 // bytes moved since paceStart, for Rate
	chunkLeft int64 // bytes left in the current chunk
	pos       int64 // stream position, for Corrupt
	buf       []byte
}

func (c *faultConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.Conn.Close()
	})
	return err
}

// shaped reports whether the fault applies to reads (true) or writes (false).
func (c *faultConn) shaped(read bool) bool {
	return c.f != nil && c.tr.upload == read
}

// allow waits as the fault says before up to n bytes move, and returns how
// many may move now (at least 1). The caller checks After first.
func (c *faultConn) allow(fl *flow, n int) (int, error) {
	f := c.f
	if f.After > 0 {
		n = int(min(int64(n), f.After-fl.moved))
	}
	if !fl.started {
		fl.started = true
		if d := c.tr.sess.srv.runtime().Delay(f.DelayData); d > 0 {
			if err := c.wait(d); err != nil {
				return 0, err
			}
		}
		fl.paceStart = time.Now()
		fl.chunkLeft = f.Chunk
	}
	if f.Chunk > 0 {
		if fl.chunkLeft <= 0 {
			if f.ChunkDelay > 0 {
				if err := c.wait(f.ChunkDelay); err != nil {
					return 0, err
				}
			}
			fl.chunkLeft = f.Chunk
			fl.paceStart, fl.paced = time.Now(), 0 // the pause is not owed to the rate
		}
		n = int(min(int64(n), fl.chunkLeft))
	}
	if f.Rate > 0 {
		// move slices of 1/20 s worth, each when the bytes before it are due
		n = int(min(int64(n), max(f.Rate/20, 1)))
		due := fl.paceStart.Add(time.Duration(float64(fl.paced) / float64(f.Rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			if err := c.wait(d); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// moved books n bytes moved in direction fl.
func (c *faultConn) moved(fl *flow, n int) {
	fl.moved += int64(n)
	fl.paced += int64(n)
	fl.chunkLeft -= int64(n)
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
		c.tr.setEnding(endReset)
		// what was written reaches the client before the RST, which would drop it
		waitSent(c.raw, time.Second)
		resetConn(c.raw)
	case scenario.EndStall:
		c.tr.setEnding(endStalled)
		select {
		case <-c.closed:
		case <-c.tr.done:
		case <-c.tr.sess.done:
		}
	default:
		c.tr.setEnding(endCut)
		_ = c.raw.Close()
	}
	return errCut
}

// waitSent waits, at most limit, until the peer has acknowledged all that
// was written on c (where the system tells; elsewhere it returns at once).
func waitSent(c net.Conn, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if n, ok := unsentBytes(c); !ok || n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (c *faultConn) Write(p []byte) (int, error) {
	if c.bw != nil {
		return c.bw.Write(p)
	}
	if !c.shaped(false) || len(p) == 0 {
		n, err := c.Conn.Write(p)
		c.count(n, false)
		return n, err
	}
	fl := &c.wr
	written := 0
	for len(p) > 0 {
		if c.f.After > 0 && fl.moved >= c.f.After {
			return written, c.cutNow()
		}
		n, err := c.allow(fl, len(p))
		if err != nil {
			return written, err
		}
		chunk := p[:n]
		if c.f.Corrupt > 0 {
			// never in place: p may be the filesystem's own memory
			fl.buf = append(fl.buf[:0], chunk...)
			c.corrupt(fl, fl.buf)
			chunk = fl.buf
		}
		w, err := c.Conn.Write(chunk)
		c.moved(fl, w)
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
	if !c.shaped(true) || len(p) == 0 {
		n, err := c.Conn.Read(p)
		c.count(n, true)
		return n, err
	}
	fl := &c.rd
	if c.f.After > 0 && fl.moved >= c.f.After {
		// the cut is due when a byte beyond After arrives; an upload of
		// exactly After bytes ends cleanly
		if _, err := io.ReadFull(c.Conn, c.probe[:]); err != nil {
			return 0, err
		}
		return 0, c.cutNow()
	}
	n, err := c.allow(fl, len(p))
	if err != nil {
		return 0, err
	}
	r, err := c.Conn.Read(p[:n])
	if c.f.Corrupt > 0 {
		c.corrupt(fl, p[:r])
	}
	c.moved(fl, r)
	c.count(r, true)
	return r, err
}

func (c *faultConn) count(n int, in bool) {
	if n <= 0 || c.tr == nil {
		return
	}
	if in {
		c.tr.bytesIn.Add(int64(n))
	} else {
		c.tr.bytesOut.Add(int64(n))
	}
}

// corrupt flips bytes of b in place: about one in every f.Corrupt, chosen
// by a hash of the seed and the stream position, so runs repeat and the
// same content is corrupted the same way whichever the direction or mode.
func (c *faultConn) corrupt(fl *flow, b []byte) {
	every := uint64(c.f.Corrupt)
	for i := range b {
		h := splitmix(c.seed ^ uint64(fl.pos+int64(i))*0x9e3779b97f4a7c15)
		if h%every == 0 {
			b[i] ^= byte(h>>32) | 1
		}
	}
	fl.pos += int64(len(b))
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
		s.relayActive(up, p, s.currentTransfer())
	}
}

func (s *session) relayActive(up net.Conn, p *activeProxy, tr *transfer) {
	defer up.Close()
	if tr != nil && tr.relay != nil {
		if !tr.relay.claimed.CompareAndSwap(false, true) {
			return // one data connection per transfer
		}
		defer tr.relay.finish()
		tr.hold(up, true)
	}
	ready := func(reached bool) {
		if tr != nil && tr.relay != nil {
			tr.relay.markReady(reached)
		}
	}
	if tr != nil && tr.fault != nil && tr.fault.Refuse == scenario.RefuseIgnore {
		// never connect to the client: it waits for a connection that never comes
		tr.setEnding(endRefused)
		ready(false)
		s.waitRefused(tr)
		return
	}
	d := net.Dialer{Timeout: s.srv.cfg.DataTimeout}
	raw, err := d.Dial("tcp", p.target)
	if err != nil {
		s.log.Debug("active data connection failed", "target", p.target, "err", err)
		if tr != nil {
			tr.noConn.Store(true)
		}
		ready(false)
		return
	}
	dc, err := s.wrapData(raw, tr)
	if err != nil {
		ready(false)
		return
	}
	defer dc.Close()
	if tr != nil {
		tr.hold(dc, true)
	}
	ready(true)
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
	// A failure on the client's side in the transfer's direction is noted:
	// the real server may have said all it had by then.
	broken := func(err error, upload bool) {
		if err != nil && tr != nil && tr.upload == upload && !errors.Is(err, errCut) {
			tr.broken.Store(true)
		}
	}
	errc := make(chan error, 2)
	go func() {
		_, err := io.Copy(dc, up) // server -> client
		broken(err, false)
		_ = dc.Close()
		errc <- err
	}()
	go func() {
		_, err := io.Copy(up, dc) // client -> server
		broken(err, true)
		if cw, ok := up.(*net.TCPConn); ok {
			_ = cw.CloseWrite()
		}
		errc <- err
	}()
	<-errc
	t := time.NewTimer(s.srv.cfg.DataTimeout)
	defer t.Stop()
	select {
	case <-errc:
	case <-t.C:
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
