package server

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/journal"
)

var errNoReuse = errors.New("the data connection did not resume the control connection's TLS session")

// requireReuse carries out the dialect's FTPS rule for tr's protected
// data connection tc (raw under it), when the dialect in force requires
// the control connection's TLS session to be resumed (vsftpd's
// require_ssl_reuse, FileZilla Server): the 1xx first (clients start
// TLS once they have it), the handshake, then a connection that did not
// resume is closed with close_notify and the transfer refused: its
// final reply is the dialect's "VERB no-reuse" (speakLocked). Python's
// ftplib does not resume; curl, lftp and Go clients with a session cache
// do.
func (s *session) requireReuse(tc *tls.Conn, raw net.Conn, tr *transfer) error {
	d := s.dialectIn()
	if d == nil || !d.TLS.RequireReuse || tr == nil || tr.cmd == nil {
		return nil
	}
	s.mu.Lock()
	if speaks(tr.cmd, false) && !s.stalled {
		s.emitLocked(tr.cmd, s.startLocked(d, tr.cmd, s.varsLocked(d, tr.cmd, reply{})))
		s.dia.prelim, s.dia.started, s.dia.began = true, true, time.Now()
	}
	s.mu.Unlock()
	tr.hold(raw) // ABOR or the session's end stops the handshake
	_ = raw.SetDeadline(time.Now().Add(s.srv.cfg.DataTimeout))
	err := tc.Handshake()
	_ = raw.SetDeadline(time.Time{})
	if !tr.release(raw) {
		return errRefused
	}
	if err == nil && tc.ConnectionState().DidResume {
		return nil
	}
	s.debugf("TLS data connection not resumed", "err", err)
	tr.note(endRefused)
	s.mu.Lock()
	s.dia.noReuse = true
	s.mu.Unlock()
	_ = raw.SetDeadline(time.Now().Add(time.Second))
	_ = tc.Close() // close_notify, as vsftpd ends it
	return errNoReuse
}

// dialectRefusesAUTH answers an AUTH mechanism the dialect refuses
// (pure-ftpd's AUTH SSL) with its reply, without TLS.
func (s *session) dialectRefusesAUTH(cmd *command, mech string) bool {
	d := s.dialectIn()
	if d == nil || !speaks(cmd, true) {
		return false
	}
	r, ok := d.Reply("AUTH", mech, nil)
	if !ok || r.Code() < 400 {
		return false
	}
	cmd.own = true
	s.answer(cmd, dialectReply(r))
	return true
}

// authProtects reports whether AUTH mech protects data connections
// without PROT P: TLS-P does; SSL does in the old semantics, unless the
// dialect in force says otherwise (TLS.SSLIsPROTP).
func (s *session) authProtects(mech string) bool {
	if d := s.dialectIn(); d != nil && mech == "SSL" {
		return d.TLS.SSLIsPROTP
	}
	return mech == "TLS-P" || mech == "SSL"
}

// cmdCCC clears TLS on the control connection where the dialect
// implements CCC (ProFTPD, pure-ftpd, IIS): its reply over TLS, then
// close_notify both ways (RFC 4217 12.3), and the session goes on in
// plain text. Elsewhere ftpserverlib answers (it lacks CCC), in the
// dialect's words.
func (s *session) cmdCCC(cmd *command) {
	d := s.dialectIn()
	s.mu.Lock()
	tc, onTLS := s.conn.(*tls.Conn)
	var r dialect.Reply
	ok := false
	if d != nil && onTLS && speaks(cmd, true) {
		r, ok = d.Reply("CCC", dialect.TLSOn, nil)
	}
	if !ok || r.Code()/100 != 2 {
		s.mu.Unlock()
		s.forward(cmd, cmd.line())
		return
	}
	cmd.own = true
	s.replyLocked(cmd, dialectReply(r))
	_ = s.raw.SetWriteDeadline(time.Now().Add(time.Second))
	err := tc.CloseWrite()
	_ = s.raw.SetWriteDeadline(time.Time{})
	s.mu.Unlock()
	_ = s.raw.SetReadDeadline(time.Now().Add(s.srv.cfg.DataTimeout))
	for err == nil { // what the client sent before its close_notify is dropped
		if l := s.in.readLine(); l.err != nil {
			if !errors.Is(l.err, io.EOF) {
				err = l.err
			}
			break
		}
	}
	if err != nil {
		s.debugf("CCC: TLS closure failed", "err", err)
		s.end(journal.ReasonTLSFailed, closeNow)
		return
	}
	s.armIdle()
	s.mu.Lock()
	s.conn, s.tlsControl = s.raw, false
	s.mu.Unlock()
	s.in = newLineReader(s.raw, s.srv.cfg.MaxLineLength+2)
}

// recordReader reads a TLS stream for the control connection's tls.Conn
// one record at a time, never past a record's end: after CCC the plain
// text the client sends right behind its close_notify is still unread
// (tls.Conn would otherwise buffer it and lose it).
type recordReader struct {
	r    io.Reader
	hdr  [5]byte // the record header being read
	nh   int     // its bytes read so far
	left int     // the bytes of the current record's body still to read
}

func (rr *recordReader) Read(p []byte) (int, error) {
	if rr.left == 0 { // at a record header: read it, and no further
		n, err := rr.r.Read(p[:min(len(p), len(rr.hdr)-rr.nh)])
		copy(rr.hdr[rr.nh:], p[:n])
		if rr.nh += n; rr.nh == len(rr.hdr) {
			rr.nh, rr.left = 0, int(rr.hdr[3])<<8|int(rr.hdr[4])
		}
		return n, err
	}
	n, err := rr.r.Read(p[:min(len(p), rr.left)])
	rr.left -= n
	return n, err
}
