package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"os"
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
	s.mu.Unlock()
	s.transfer.Store(tr)
	return tr
}

// refuse425 answers a transfer command with 425 without opening its data
// connection, as a refuse: 425 fault says; false if the session ended.
func (s *session) refuse425(cmd *pendingCmd, f *scenario.DataFault) bool {
	info := &TransferInfo{Mode: s.dataMode, TLS: s.protP, End: endRefused}
	s.srv.journal.update(cmd.entry, func() { cmd.entry.Transfer = info })
	if !s.sleep(s.srv.runtime().Delay(f.DelayFinal)) {
		return false
	}
	s.finalReply(cmd, newReply(425, ""))
	return true
}

// currentTransfer is the transfer command being served, if any.
func (s *session) currentTransfer() *transfer {
	return s.transfer.Load()
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
	s.transfer.CompareAndSwap(tr, nil)
	end := tr.outcome(final)
	f := tr.fault
	if f != nil && f.KeepPartial != nil && !*f.KeepPartial && (tr.wasCut() || end == endRefused) {
		s.discardUpload(tr)
	}
	info := &TransferInfo{Mode: tr.mode, TLS: tr.tls, BytesIn: tr.bytesIn.Load(), BytesOut: tr.bytesOut.Load(), End: end}
	s.srv.journal.update(tr.entry, func() { tr.entry.Transfer = info })

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
		s.logger().Warn("could not discard partial upload", "path", p, "err", err)
	}
}

// outcome says how tr ended (TransferInfo.End), given the real server's final reply.
func (tr *transfer) outcome(final reply) string {
	if v, ok := tr.ending.Load().(string); ok {
		return v
	}
	switch {
	case tr.wasCut():
		return faultEnding(tr.fault.End)
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

// wasCut reports whether a fault cut the transfer: it did so, or the
// client's ABOR came after a download moved all the bytes its fault lets
// through, so the cut (or stall) came first even if the goroutine carrying
// it out has not got there yet. (An upload is cut only when a byte beyond
// them arrives, see faultConn.Read.)
func (tr *transfer) wasCut() bool {
	if tr.cut.Load() {
		return true
	}
	f := tr.fault
	return tr.aborted.Load() && f != nil && f.After > 0 && !tr.upload && tr.bytesOut.Load() >= f.After
}

// faultEnding is how a fault that cuts a transfer ends it in the journal.
func faultEnding(e scenario.DataEnd) string {
	switch e {
	case scenario.EndReset:
		return endReset
	case scenario.EndStall:
		return endStalled
	}
	return endCut
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
	case tr.wasCut():
		return scripted(426)
	case tr.noConn.Load():
		return newReply(425, ""), true
	case (tr.aborted.Load() || tr.broken.Load()) && final.code/100 == 2:
		return newReply(426, ""), true
	}
	return final, true
}

func (s *session) endAllTransfers() {
	if tr := s.transfer.Swap(nil); tr != nil {
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
