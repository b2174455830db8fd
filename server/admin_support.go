package server

import "errors"

// Accepting reports whether the server takes new control connections: its
// listener is open and it is neither draining (Shutdown) nor closed. It
// returns nil when it does, else an error saying why not.
//
// Unlike a probe connection, it opens no connection, so the session
// numbering that rules with "session: N" count and the journal are left
// alone (the admin API's readiness check and Docker's HEALTHCHECK use it).
func (s *Server) Accepting() error {
	select {
	case <-s.closed:
		return errors.New("the FTP server is closed")
	case <-s.draining:
		return errors.New("the FTP server is shutting down")
	default:
	}
	if s.ln == nil {
		return errors.New("the FTP server has no listener")
	}
	return nil
}
