package server

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"github.com/mockftpd/mockftpd/scenario"
)

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
