package server

import (
	"crypto/tls"
	"errors"
	"net"
	"time"
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
		s.dia.prelim, s.dia.started = true, true
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
