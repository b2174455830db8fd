package record

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"path"
	"strings"
	"time"
)

// The control connection's two loops: the client loop reads commands and
// sends them upstream, the reply loop relays the upstream's replies back,
// and both hand over to TLS after a 234 to AUTH.

// clientLoop reads the client's commands and sends them upstream.
func (s *session) clientLoop() {
	s.mu.Lock()
	client, up := s.client, s.up
	s.mu.Unlock()
	r := bufio.NewReaderSize(client, 4096)
	last := ""
	for {
		line, err := readLine(r)
		if err != nil {
			switch {
			case last == "QUIT": // it need not wait for the 221
				s.setEnd("client quit", false)
			case errors.Is(err, io.EOF):
				s.setEnd("client closed the connection", false)
			default:
				s.setEnd("client connection: "+err.Error(), false)
			}
			closeWrite(up) // the upstream answers what is owed, then closes
			return
		}
		verb, arg := parseCommand(line)
		last = verb
		now := time.Now()
		out := line
		s.mu.Lock()
		ex := &Exchange{Verb: verb, Arg: arg, Cwd: s.cwd, User: s.user, At: now.Sub(s.start), TLS: s.tlsOn}
		if verb == "USER" {
			s.user, ex.User = arg, arg
		}
		s.mu.Unlock()
		var link *dataLink
		switch {
		case verb == "PORT" || verb == "EPRT":
			if rewritten, ok := s.activeLink(verb, arg, lineEnd(line)); ok {
				out = rewritten
			}
		case transferVerbs[verb]:
			link = s.claim(ex)
		}
		s.mu.Lock()
		s.rec.Exchanges = append(s.rec.Exchanges, ex)
		s.pending = append(s.pending, &pend{ex: ex, sent: now, link: link})
		s.mu.Unlock()
		if _, err := io.WriteString(up, out); err != nil {
			s.setEnd("upstream connection: "+err.Error(), true)
			_ = s.raw.Close()
			return
		}
		if verb != "AUTH" {
			continue
		}
		select {
		case ok := <-s.upgrade:
			if !ok {
				continue
			}
		case <-s.done:
			return
		}
		if client, r = s.upgradeClient(client, r); client == nil {
			return
		}
		select {
		case up = <-s.upReady:
			if up == nil {
				return
			}
		case <-s.done:
			return
		}
	}
}

// upgradeClient terminates TLS on the client's connection after a 234;
// replies wait meanwhile. It returns nil when the handshake fails.
func (s *session) upgradeClient(client net.Conn, r *bufio.Reader) (net.Conn, *bufio.Reader) {
	s.cwmu.Lock()
	defer s.cwmu.Unlock()
	tc := tls.Server(buffered(r, client), s.p.clientTLS)
	if err := handshake(tc); err != nil {
		s.setEnd("client TLS handshake failed: "+err.Error(), false)
		s.log.Warn("client TLS handshake failed", "err", err)
		_ = s.raw.Close()
		s.mu.Lock()
		up := s.upRaw
		s.mu.Unlock()
		_ = up.Close()
		return nil, nil
	}
	s.mu.Lock()
	s.client = tc
	s.mu.Unlock()
	return tc, bufio.NewReaderSize(tc, 4096)
}

// replyLoop reads the upstream's replies and relays them.
func (s *session) replyLoop() {
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	r := bufio.NewReaderSize(up, 4096)
	for {
		raw, code, err := readReply(r)
		if err != nil {
			s.mu.Lock()
			ended := s.ended
			s.mu.Unlock()
			switch {
			case ended:
			case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
				s.setEnd("upstream closed the connection", true)
			default:
				s.setEnd("upstream connection: "+err.Error(), true)
			}
			return
		}
		now := time.Now()
		s.mu.Lock()
		var head *pend
		if len(s.pending) > 0 {
			head = s.pending[0]
		}
		s.mu.Unlock()
		if head == nil { // nothing owed: a 421 at idle time, say
			s.mu.Lock()
			head = &pend{ex: &Exchange{Cwd: s.cwd, At: now.Sub(s.start), TLS: s.tlsOn}, sent: now}
			s.rec.Exchanges = append(s.rec.Exchanges, head.ex)
			s.mu.Unlock()
		}
		verb, final := head.ex.Verb, code >= 200
		if final && ((verb == "PASV" && code == 227) || (verb == "EPSV" && code == 229)) {
			if rewritten, ok := s.passiveLink(verb, raw); ok {
				raw = rewritten
			}
		}
		if head.link != nil && code > 0 && code < 400 {
			s.awaitClientData(head.link)
		}
		s.mu.Lock()
		head.ex.Replies = append(head.ex.Replies, Reply{Code: code, Raw: raw, After: now.Sub(head.sent)})
		if final && len(s.pending) > 0 && s.pending[0] == head {
			s.pending = s.pending[1:]
		}
		if final {
			s.track(head.ex, code)
		}
		s.mu.Unlock()
		if verb == "QUIT" && final {
			s.setEnd("client quit", false) // before the client has the reply and hangs up
		}
		if err := s.writeClient(raw); err != nil {
			s.setEnd("client connection: "+err.Error(), false)
			return
		}
		if verb != "AUTH" || !final {
			continue
		}
		if code != 234 {
			s.upgrade <- false
			continue
		}
		s.upgrade <- true
		tc := tls.Client(buffered(r, up), s.upTLS)
		if err := handshake(tc); err != nil {
			s.setEnd("upstream TLS handshake failed: "+err.Error(), true)
			s.log.Warn("upstream TLS handshake failed", "err", err)
			s.upReady <- nil
			return
		}
		s.mu.Lock()
		s.up, s.tlsOn, up = tc, true, tc
		s.mu.Unlock()
		s.upReady <- tc
		r = bufio.NewReaderSize(tc, 4096)
	}
}

// track follows the session's state from a final reply: the working
// directory, the data protection level.
func (s *session) track(ex *Exchange, code int) {
	ok := code >= 200 && code < 300
	switch ex.Verb {
	case "PWD", "XPWD":
		if code == 257 {
			if dir, found := quotedPath(Reply{Raw: ex.Replies[len(ex.Replies)-1].Raw}.Text()); found {
				s.cwd = dir
			}
		}
	case "CWD", "XCWD":
		if ok {
			s.cwd = Resolve(s.cwd, ex.Arg)
		}
	case "CDUP", "XCUP":
		if ok {
			s.cwd = path.Dir(s.cwd)
		}
	case "PASS", "USER":
		if code == 230 {
			s.cwd = "/"
		}
	case "REIN":
		if ok {
			s.cwd, s.user, s.protP = "/", "", false
		}
	case "PROT":
		if ok {
			s.protP = strings.EqualFold(strings.TrimSpace(ex.Arg), "P")
		}
	}
}

// writeClient sends reply bytes to the client.
func (s *session) writeClient(b string) error {
	s.cwmu.Lock()
	defer s.cwmu.Unlock()
	s.mu.Lock()
	c := s.client
	s.mu.Unlock()
	_, err := io.WriteString(c, b)
	return err
}
