package record

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path"
	"strings"
	"sync"
	"time"
)

// handshakeTimeout bounds a TLS handshake on any connection.
const handshakeTimeout = 30 * time.Second

// maxLine bounds one command line from a client and one reply line from
// the upstream server.
const maxLine = 1 << 20

// maxReplyLines bounds a multi-line reply.
const maxReplyLines = 1 << 17

// pend is a command (or the greeting) still owed its final reply.
type pend struct {
	ex   *Exchange
	sent time.Time
}

// session relays one client connection. Two goroutines do the work: the
// client loop reads commands and sends them upstream; the reply loop reads
// the upstream's replies, pairs each with the oldest command owed one, and
// sends it to the client. Data connections have goroutines of their own.
type session struct {
	p      *Proxy
	number int
	start  time.Time
	raw    net.Conn // the client's TCP connection
	upTLS  *tls.Config
	log    *slog.Logger

	// mu guards the fields below it.
	mu      sync.Mutex
	rec     Session
	pending []*pend
	cwd     string
	user    string
	protP   bool
	tlsOn   bool
	link    *dataLink   // the data address last set up, until a transfer command takes it
	links   []*dataLink // every data link, to cut them at the end
	client  net.Conn    // the client connection (TLS once upgraded)
	upRaw   net.Conn    // the upstream's TCP connection
	up      net.Conn    // the upstream connection (TLS once upgraded)
	ended   bool

	cwmu sync.Mutex // serialises writes to the client, and holds them during a TLS upgrade

	upgrade chan bool     // reply loop to client loop: AUTH answered; true for 234
	upReady chan net.Conn // reply loop to client loop: the upstream's TLS connection, nil on failure
	done    chan struct{} // closed when the session is being torn down
	doneMu  sync.Once
	linkWG  sync.WaitGroup
}

func newSession(p *Proxy, c net.Conn, n int) *session {
	now := time.Now()
	s := &session{
		p: p, number: n, start: now, raw: c, client: c, cwd: "/",
		upTLS:   p.upstreamTLS(),
		log:     p.log.With("session", n, "client", c.RemoteAddr().String()),
		upgrade: make(chan bool, 1), upReady: make(chan net.Conn, 1), done: make(chan struct{}),
	}
	s.rec = Session{Number: n, Client: c.RemoteAddr().String(), Started: now, Implicit: p.cfg.ImplicitTLS}
	return s
}

// snapshot copies the session's record.
func (s *session) snapshot() *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := s.rec
	cp.Exchanges = make([]*Exchange, len(s.rec.Exchanges))
	for i, e := range s.rec.Exchanges {
		ec := *e
		ec.Replies = append([]Reply(nil), e.Replies...)
		if e.Transfer != nil {
			tc := *e.Transfer
			tc.Data = append([]byte(nil), e.Transfer.Data...)
			ec.Transfer = &tc
		}
		cp.Exchanges[i] = &ec
	}
	return &cp
}

// setEnd records why the session ends; the first reason wins.
func (s *session) setEnd(reason string, upstreamClosed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rec.End == "" {
		s.rec.End = reason
		s.rec.UpstreamClosed = upstreamClosed
	}
}

// stop cuts the session from outside (the recording stops).
func (s *session) stop(reason string) {
	s.setEnd(reason, false)
	s.teardown()
}

// teardown closes both control connections and every data connection.
func (s *session) teardown() {
	s.doneMu.Do(func() { close(s.done) })
	s.mu.Lock()
	s.ended = true
	up := s.upRaw
	links := append([]*dataLink(nil), s.links...)
	s.mu.Unlock()
	_ = s.raw.Close()
	if up != nil {
		_ = up.Close()
	}
	for _, l := range links {
		l.cut()
	}
}

// run relays the session until either side ends it.
func (s *session) run() {
	defer func() {
		s.mu.Lock()
		s.rec.Ended = time.Now()
		s.mu.Unlock()
	}()
	if !s.connect() {
		s.teardown()
		return
	}
	s.mu.Lock()
	stopped := s.ended // the recording stopped while the upstream was dialled
	s.mu.Unlock()
	if stopped {
		s.teardown()
		return
	}
	clientDone := make(chan struct{})
	go func() {
		defer close(clientDone)
		s.clientLoop()
	}()
	s.replyLoop()
	// the upstream is done: the client gets what was relayed, then EOF
	_ = s.raw.Close()
	select {
	case <-clientDone:
	case <-time.After(5 * time.Second):
	}
	s.doneMu.Do(func() { close(s.done) })
	<-clientDone
	s.waitLinks()
	s.teardown()
}

// waitLinks lets data transfers in flight finish, for a while; a data
// address nobody connected to yet is closed.
func (s *session) waitLinks() {
	s.mu.Lock()
	for _, l := range s.links {
		_ = l.ln.Close()
	}
	s.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		s.linkWG.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return
	case <-time.After(s.p.cfg.DataTimeout):
	}
	s.mu.Lock()
	links := append([]*dataLink(nil), s.links...)
	s.mu.Unlock()
	for _, l := range links {
		l.cut()
	}
	<-finished
}

// connect completes the client's implicit TLS handshake, if any, and
// connects to the upstream. A client the upstream cannot be reached for
// gets a 421 that says why (it is not part of the recording).
func (s *session) connect() bool {
	if s.p.cfg.ImplicitTLS {
		tc := tls.Server(s.raw, s.p.clientTLS)
		if err := handshake(tc); err != nil {
			s.setEnd("client TLS handshake failed: "+err.Error(), false)
			s.log.Warn("client TLS handshake failed", "err", err)
			return false
		}
		s.client = tc
	}
	up, err := net.DialTimeout("tcp", s.p.cfg.Upstream, s.p.cfg.DialTimeout)
	if err != nil {
		s.refuse(fmt.Sprintf("cannot reach the upstream server %s: %v", s.p.cfg.Upstream, err))
		return false
	}
	s.mu.Lock()
	s.upRaw, s.up = up, up
	s.mu.Unlock()
	if s.p.cfg.ImplicitTLS {
		tc := tls.Client(up, s.upTLS)
		if err := handshake(tc); err != nil {
			s.refuse(fmt.Sprintf("TLS handshake with the upstream server %s failed: %v", s.p.cfg.Upstream, err))
			return false
		}
		s.mu.Lock()
		s.up, s.tlsOn = tc, true
		s.mu.Unlock()
	}
	s.mu.Lock()
	greeting := &Exchange{Cwd: s.cwd, TLS: s.tlsOn}
	s.rec.Exchanges = append(s.rec.Exchanges, greeting)
	s.pending = append(s.pending, &pend{ex: greeting, sent: s.start})
	s.mu.Unlock()
	s.log.Debug("session relayed", "upstream", s.p.cfg.Upstream)
	return true
}

// refuse tells the client why the session cannot go on, and records it.
func (s *session) refuse(why string) {
	s.setEnd(why, true)
	s.log.Warn("session refused", "why", why)
	_ = s.client.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(s.client, "421 mockftpd record: "+why+"\r\n")
}

func handshake(c *tls.Conn) error {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	err := c.Handshake()
	_ = c.SetDeadline(time.Time{})
	return err
}

// buffered returns a reader's leftovers in front of its connection.
func buffered(r *bufio.Reader, c net.Conn) net.Conn {
	if r.Buffered() == 0 {
		return c
	}
	b, _ := r.Peek(r.Buffered())
	return &prefixConn{Conn: c, r: io.MultiReader(bytes.NewReader(bytes.Clone(b)), c)}
}

// transferVerbs open a data connection.
var transferVerbs = map[string]bool{
	"RETR": true, "STOR": true, "STOU": true, "APPE": true,
	"LIST": true, "NLST": true, "MLSD": true,
}

// uploadVerbs send data from the client to the server.
var uploadVerbs = map[string]bool{"STOR": true, "STOU": true, "APPE": true}

// listingVerbs send a listing on the data connection.
var listingVerbs = map[string]bool{"LIST": true, "NLST": true, "MLSD": true}

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
		switch {
		case verb == "PORT" || verb == "EPRT":
			if rewritten, ok := s.activeLink(verb, arg, lineEnd(line)); ok {
				out = rewritten
			}
		case transferVerbs[verb]:
			s.claim(ex)
		}
		s.mu.Lock()
		s.rec.Exchanges = append(s.rec.Exchanges, ex)
		s.pending = append(s.pending, &pend{ex: ex, sent: now})
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

// Resolve returns the absolute, clean path p names from the directory cwd.
func Resolve(cwd, p string) string {
	if cwd == "" {
		cwd = "/"
	}
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Clean(path.Join(cwd, p))
}

// quotedPath reads the directory of a 257 reply: "/a ""b""" is /a "b".
func quotedPath(text string) (string, bool) {
	i := strings.IndexByte(text, '"')
	if i < 0 {
		return "", false
	}
	var b strings.Builder
	for j := i + 1; j < len(text); j++ {
		if text[j] != '"' {
			b.WriteByte(text[j])
			continue
		}
		if j+1 < len(text) && text[j+1] == '"' {
			b.WriteByte('"')
			j++
			continue
		}
		return b.String(), true
	}
	return "", false
}

// readLine reads one command line, its end included.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if err == nil {
			return string(b), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		if len(b) > maxLine {
			return "", fmt.Errorf("line longer than %d bytes", maxLine)
		}
	}
}

// lineEnd returns the line's end: "\r\n" or "\n".
func lineEnd(line string) string {
	if strings.HasSuffix(line, "\r\n") {
		return "\r\n"
	}
	return "\n"
}

// parseCommand splits a command line into its upper-case verb and its
// argument, after the Telnet IP/DM a client may put before ABOR.
func parseCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(stripTelnet(strings.TrimRight(line, "\r\n")), " ")
	return strings.ToUpper(verb), arg
}

// stripTelnet drops the Telnet commands (and spaces) in front of a line.
func stripTelnet(line string) string {
	for len(line) > 0 {
		switch {
		case line[0] == 0xff && len(line) >= 2: // IAC and its command
			line = line[2:]
		case line[0] == 0xf2 || line[0] == ' ': // a DM sent alone as urgent data
			line = line[1:]
		default:
			return line
		}
	}
	return line
}

// readReply reads one complete reply: its bytes, line ends included, and
// its code (0 for a line that is no reply).
func readReply(r *bufio.Reader) (string, int, error) {
	first, err := readLine(r)
	if err != nil {
		return "", 0, err
	}
	l := strings.TrimRight(first, "\r\n")
	if len(l) < 3 || !isCode(l[:3]) {
		return first, 0, nil
	}
	code := int(l[0]-'0')*100 + int(l[1]-'0')*10 + int(l[2]-'0')
	if len(l) < 4 || l[3] != '-' {
		return first, code, nil
	}
	var b strings.Builder
	b.WriteString(first)
	for n := 0; n < maxReplyLines; n++ {
		next, err := readLine(r)
		if err != nil {
			return "", 0, err
		}
		b.WriteString(next)
		t := strings.TrimRight(next, "\r\n")
		if t == l[:3] || (len(t) >= 4 && t[:3] == l[:3] && t[3] == ' ') {
			return b.String(), code, nil
		}
	}
	return "", 0, fmt.Errorf("reply of more than %d lines", maxReplyLines)
}
