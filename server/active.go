package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

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
			s.logger().Warn("refused a data address other than the client's", "target", target.String(), "client", clientIP)
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
		s.debugf("active data connection failed", "target", p.target, "err", err)
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
