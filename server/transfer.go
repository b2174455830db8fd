package server

import (
	"errors"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// How a transfer ended, as the journal says it (journal.Transfer.End).
const (
	endComplete = "complete" // every byte moved and the server said 2xx
	endCut      = "cut"      // a fault closed the data connection (FIN) after After bytes
	endReset    = "reset"    // a fault reset it (RST) after After bytes
	endStalled  = "stalled"  // a fault stopped the bytes after After and held the connection
	endRefused  = "refused"  // a fault refused the data connection (ignore, close or 425)
	endAborted  = "aborted"  // the client sent ABOR, or the server said 426
	endFailed   = "failed"   // the server's final reply was an error
	endNone     = "none"     // no data connection was ever made
	endShutdown = "shutdown" // the server stopped before the transfer ended
)

// endRank orders what happens to a transfer: a later event replaces an
// earlier one only when it ranks higher (a fault's doing explains the most,
// then the client's ABOR, then a dial that failed).
func endRank(end string) int {
	switch end {
	case endRefused, endCut, endReset, endStalled:
		return 3
	case endAborted:
		return 2
	case endNone:
		return 1
	}
	return 0
}

// faultCut reports whether end is a fault cutting the transfer.
func faultCut(end string) bool { return end == endCut || end == endReset || end == endStalled }

// transfer is the data side of one transfer command (RETR, STOR, APPE,
// STOU, LIST, NLST, MLSD): the scripted fault, if any, and what happened.
// Its outcome is one value, end, set as things happen (see note) and
// completed by the server's final reply (see outcome).
//
// A fault shapes the direction the transfer's data flows in (server to
// client for downloads and listings, client to server for uploads); the
// other direction is only counted.
type transfer struct {
	sess   *session
	cmd    *command
	upload bool
	fault  *scenario.DataFault
	mode   string // the data channel command: PASV, EPSV, PORT or EPRT
	tls    bool
	// source, when set, gives the transfer its bytes instead of the real
	// server (see contentSource); offset is the download's REST offset.
	source contentSource
	offset atomic.Int64

	bytesIn  atomic.Int64 // client to server
	bytesOut atomic.Int64 // server to client

	mu      sync.Mutex
	end     string     // how it ended so far; "" until something happened
	conn    bool       // a data connection was made
	conns   []net.Conn // closed when the transfer stops
	file    string     // the upload's file, once open
	base    int64      // bytes the file held before the upload (APPE, REST)
	stopped bool
	over    bool
	// stop is closed at ABOR or the end: a data connection not made yet
	// (a dial, a refused one held open) is given up.
	stop chan struct{}
	// done is closed at the end: the data shaping's pauses stop (an ABOR
	// reaches them through ftpserverlib closing the connection).
	done chan struct{}
}

func isUpload(verb string) bool { return verb == "STOR" || verb == "APPE" || verb == "STOU" }

// isTransfer reports whether verb opens a data connection.
func isTransfer(verb string) bool { return verb == "RETR" || isUpload(verb) || isListing(verb) }

// cmdTransfer starts a transfer command: with its data fault, and
// refused with 425 at once when the fault says so.
func (s *session) cmdTransfer(cmd *command) {
	var fault *scenario.DataFault
	if cmd.step != nil {
		fault = cmd.step.Data
	}
	if fault != nil && fault.Refuse == scenario.Refuse425 {
		s.refuse425(cmd, fault)
		return
	}
	if s.dialectRefuses(cmd) { // dialect_ascii.go
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loggedIn {
		tr := &transfer{sess: s, cmd: cmd, upload: isUpload(cmd.verb), fault: fault, mode: s.dataMode, tls: s.protP,
			source: faultSource(fault), stop: make(chan struct{}), done: make(chan struct{})}
		if tr.source == nil {
			tr.source = s.dialectListingLocked(cmd) // dialect.go: the product's listing format
		}
		cmd.transfer, s.transfer = tr, tr
	}
	s.forwardLocked(cmd, cmd.line())
}

// refuse425 answers a transfer command with 425 without opening its data
// connection, as a refuse: 425 fault says (after the step's preliminary
// reply, if it has one); a data connection the client opened is closed.
func (s *session) refuse425(cmd *command, f *scenario.DataFault) {
	s.mu.Lock()
	cmd.info = &journal.Transfer{Mode: s.dataMode, TLS: s.protP, End: endRefused}
	s.journalLocked(cmd)
	s.mu.Unlock()
	if len(cmd.step.Preliminary) > 0 {
		s.preliminary(&transfer{cmd: cmd, fault: f}, false)
	}
	if !s.sleep(s.srv.rt.Delay(f.DelayFinal)) {
		return
	}
	s.answer(cmd, newReply(425, ""))
	s.dropData()
}

// dropData closes the data connections the client opened for a transfer
// command the engine answered with an error without opening them (a
// scripted reply, refuse: 425), as ProFTPD and pure-ftpd do: the client
// sees its data connection end at once rather than wait on it. A passive
// listener of the session keeps serving the next transfer.
func (s *session) dropData() {
	s.mu.Lock()
	l := s.dataLn
	s.mu.Unlock()
	if l != nil {
		if b := l.bound.Load(); b != nil && b.sess == s && b.target == nil {
			l.dropPending()
		}
	}
}

// currentTransfer is the transfer command being served, if any.
func (s *session) currentTransfer() *transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transfer
}

// note records what happened to the transfer, unless something that
// explains more happened first.
func (tr *transfer) note(end string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if endRank(end) > endRank(tr.end) {
		tr.end = end
	}
}

// noted is what happened to the transfer so far.
func (tr *transfer) noted() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.end
}

// opened records the transfer's data connection, closed when it stops.
func (tr *transfer) opened(c net.Conn) {
	tr.mu.Lock()
	tr.conn = true
	tr.mu.Unlock()
	tr.hold(c)
}

// hold keeps c to be closed when the transfer ends (at once if it has).
func (tr *transfer) hold(c net.Conn) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.over {
		_ = c.Close()
		return
	}
	tr.conns = append(tr.conns, c)
}

// release takes c back from the connections the transfer closes when it
// ends; false when it ended already (c is closed).
func (tr *transfer) release(c net.Conn) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.over {
		return false
	}
	tr.conns = slices.DeleteFunc(tr.conns, func(x net.Conn) bool { return x == c })
	return true
}

// abort is the client's ABOR, seen before ftpserverlib sees it: a data
// connection not made yet is given up (ftpserverlib would wait for it
// before it handles the ABOR); one under way is ftpserverlib's to close.
func (tr *transfer) abort() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if endRank(endAborted) > endRank(tr.end) {
		tr.end = endAborted
	}
	tr.stopLocked()
}

func (tr *transfer) stopLocked() {
	if !tr.stopped {
		tr.stopped = true
		close(tr.stop)
	}
}

// halt ends the transfer: whatever waits on it wakes, its connections
// close. Safe to call again.
func (tr *transfer) halt() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.stopLocked()
	if tr.over {
		return
	}
	tr.over = true
	close(tr.done)
	for _, c := range tr.conns {
		if fc, ok := c.(*faultConn); ok {
			fc.abandon()
		} else {
			_ = c.Close()
		}
	}
	tr.conns = nil
}

// uploading records the file an upload writes and what it held before.
func (tr *transfer) uploading(path string, base int64) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.file, tr.base = path, base
}

// outcome says how the transfer ended, given the server's final reply.
func (tr *transfer) outcome(final reply) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch {
	case tr.end != "":
		return tr.end
	case final.code/100 == 2:
		return endComplete
	case !tr.conn:
		return endNone
	case final.code == 426:
		return endAborted
	}
	return endFailed
}

// record is the journal's record of the transfer, ended as end says.
func (tr *transfer) record(end string) *journal.Transfer {
	return &journal.Transfer{Mode: tr.mode, TLS: tr.tls, BytesIn: tr.bytesIn.Load(), BytesOut: tr.bytesOut.Load(), End: end}
}

// concludeLocked closes the books on tr when the server's final reply
// arrives, and returns the reply to send (send is false for a scripted
// "none").
func (s *session) concludeLocked(cmd *command, tr *transfer, final reply) (r reply, send bool) {
	tr.halt()
	if s.transfer == tr {
		s.transfer = nil
	}
	end := tr.outcome(final)
	if f := tr.fault; f != nil && f.KeepPartial != nil && !*f.KeepPartial && (faultCut(end) || end == endRefused) {
		s.discardUpload(tr)
	}
	cmd.info = tr.record(end)
	return tr.finalReply(final, end)
}

// finalReply is the reply the client gets. The real server cannot know what
// the engine did to the data connection, so after a fault its reply is
// replaced: by the scripted one (Reply; Code 0 without Raw sends none), or
// else by what a server says when its data connection breaks: 425 when it
// never opened, 426 when it broke midway. A transfer the client aborted
// ends with 426 whatever the real server said: it may have finished (2xx),
// or seen the engine give up the data connection at the ABOR before it
// handled the ABOR itself (ftpserverlib's 550 "Issue during transfer").
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
	case faultCut(end):
		return scripted(426)
	case tr.noted() == endNone: // the client's PORT address could not be reached
		return newReply(425, ""), true
	case end == endAborted && final.code != 426:
		return newReply(426, ""), true
	}
	return final, true
}

// discardUpload undoes what a cut upload stored (keep_partial: false): the
// file goes, or, after APPE or REST, goes back to what it held before.
func (s *session) discardUpload(tr *transfer) {
	tr.mu.Lock()
	p, base := tr.file, tr.base
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

// abandon closes the books on a transfer whose final reply never came
// because the session ended (why says why): an upload the shutdown cut
// keeps what it stored, and says so.
func (s *session) abandon(tr *transfer, why string) {
	tr.halt()
	end := tr.noted()
	if endRank(end) < 3 {
		switch {
		case why == journal.ReasonShutdown:
			end = endShutdown
		case end == "":
			end = endFailed
		}
	}
	info := tr.record(end)
	s.mu.Lock()
	s.updateLocked(tr.cmd, func(e *journal.Entry) { e.Transfer = info })
	s.journalLocked(tr.cmd)
	s.mu.Unlock()
	tr.mu.Lock()
	file := tr.file
	tr.mu.Unlock()
	if tr.upload && end == endShutdown && file != "" {
		s.logger().Warn("upload cut short by the shutdown; the partial file stays under its name", "path", file, "bytes", info.BytesIn)
	}
}
