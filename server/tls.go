package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mockftpd/mockftpd/internal/certgen"
	"github.com/mockftpd/mockftpd/journal"
)

// startTLS makes the control connection TLS: from the first byte for
// implicit FTPS, after a 234 to AUTH for explicit (protP: AUTH TLS-P or
// SSL, which protect the data connections too). The handshake reads
// through the line reader, since the client may have sent its ClientHello
// right behind the AUTH line; the line reader then reads the TLS
// connection. false means the handshake failed.
func (s *session) startTLS(protP bool) bool {
	cfg, err := s.srv.tls.get()
	if err != nil {
		s.logger().Warn("TLS unavailable", "err", err)
		s.end(journal.ReasonServerError, closeNow) // the server's fault, not the client's
		return false
	}
	prev := new(lineReader)
	*prev = s.in // what it holds is read first; s.in changes below
	// one TLS record at a time: CCC may end TLS (see recordReader)
	tc := tls.Server(&bufferedConn{Conn: s.raw, r: &recordReader{r: prev}}, cfg)
	_ = s.raw.SetDeadline(time.Now().Add(s.srv.cfg.DataTimeout))
	if err := tc.Handshake(); err != nil {
		s.debugf("TLS handshake failed", "err", err)
		return false
	}
	_ = s.raw.SetDeadline(time.Time{})
	s.armIdle()
	s.mu.Lock()
	s.conn = tc
	s.tlsControl = true
	s.protP = s.protP || protP
	s.mu.Unlock()
	s.in = newLineReader(tc, s.srv.cfg.MaxLineLength+2)
	return true
}

// bufferedConn reads first what the line reader already holds.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// tlsSource hands out the server's TLS configuration, loading or generating
// the certificate once, on first use, so that servers that never see
// AUTH TLS start without paying for a key.
type tlsSource struct {
	once     sync.Once
	cfg      *tls.Config
	err      error
	given    *tls.Config
	certFile string
	keyFile  string
	hosts    []string
}

func (t *tlsSource) get() (*tls.Config, error) {
	t.once.Do(func() {
		switch {
		case t.given != nil:
			t.cfg = t.given.Clone()
		case t.certFile != "" || t.keyFile != "":
			cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
			if err != nil {
				t.err = fmt.Errorf("load TLS certificate: %w", err)
				return
			}
			t.cfg = &tls.Config{Certificates: []tls.Certificate{cert}}
		default:
			cert, err := selfSigned(t.hosts)
			if err != nil {
				t.err = err
				return
			}
			t.cfg = &tls.Config{Certificates: []tls.Certificate{cert}}
		}
		if t.cfg.MinVersion == 0 {
			t.cfg.MinVersion = tls.VersionTLS12
		}
	})
	return t.cfg, t.err
}

// selfSigned makes an ECDSA P-256 certificate for localhost, the loopback
// addresses and the given hosts, valid for a year, held only in memory
// (mockftpd cert writes the same kind to files, for clients to trust).
func selfSigned(hosts []string) (tls.Certificate, error) {
	cert, err := certgen.Certificate(hosts...)
	if err != nil {
		return tls.Certificate{}, err
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("parse TLS certificate: %w", err)
		}
	}
	return cert, nil
}

// Certificate is the certificate the server's FTPS connections present
// (made at first use when none was configured).
func (s *Server) Certificate() (*x509.Certificate, error) {
	cfg, err := s.tls.get()
	if err != nil {
		return nil, err
	}
	if len(cfg.Certificates) == 0 || len(cfg.Certificates[0].Certificate) == 0 {
		return nil, errors.New("the TLS configuration has no certificate")
	}
	if leaf := cfg.Certificates[0].Leaf; leaf != nil {
		return leaf, nil
	}
	return x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
}
