package mockftpd_test

// The client side of the reply-code and socket-fault tests: how one case
// drives jlaffaye/ftp (or net/textproto where jlaffaye/ftp has no call for a
// command), and how what the client saw is recorded, exactly and without
// anything that changes from run to run (ports, timings).

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
)

// shortDeadline bounds the calls that a stalled server never answers:
// jlaffaye/ftp has no read timeout of its own, only the deadlines of the
// connections its dial function returns.
const shortDeadline = 500 * time.Millisecond

// kind classifies what a client call returned.
type kind int

const (
	kOK            kind = iota // no error
	kReply                     // a *textproto.Error: Code and Msg
	kText                      // a plain error (errors.New) holding only the reply text: the code is lost
	kProtocol                  // a textproto.ProtocolError: not a well-formed reply
	kEOF                       // io.EOF
	kUnexpectedEOF             // io.ErrUnexpectedEOF
	kReset                     // syscall.ECONNRESET
	kRefused                   // syscall.ECONNREFUSED
	kTimeout                   // os.ErrDeadlineExceeded, a net.Error whose Timeout() is true
	kRead                      // net/textproto read a reply: Code and Msg
	kOther                     // anything else; Msg is its type and text
)

// outcome is the classified result of one client call.
type outcome struct {
	Kind kind
	Code int
	Msg  string
}

// Outcomes for the table of expectations.
var (
	okay          = outcome{Kind: kOK}
	eof           = outcome{Kind: kEOF}
	connReset     = outcome{Kind: kReset}
	connRefused   = outcome{Kind: kRefused}
	deadline      = outcome{Kind: kTimeout}
	unexpectedEOF = outcome{Kind: kUnexpectedEOF}
)

// replyErr is a *textproto.Error with code and text.
func replyErr(code int, msg string) outcome { return outcome{Kind: kReply, Code: code, Msg: msg} }

// textErr is a plain error holding only a reply's text.
func textErr(msg string) outcome { return outcome{Kind: kText, Msg: msg} }

// protoErr is a textproto.ProtocolError.
func protoErr(msg string) outcome { return outcome{Kind: kProtocol, Msg: msg} }

// read is a reply that net/textproto read: ReadResponse(0) returned it without error.
func read(code int, msg string) outcome { return outcome{Kind: kRead, Code: code, Msg: msg} }

func (o outcome) String() string {
	switch o.Kind {
	case kOK:
		return "ok"
	case kReply:
		return fmt.Sprintf("*textproto.Error %d %q", o.Code, o.Msg)
	case kText:
		return fmt.Sprintf("plain error %q (no code)", o.Msg)
	case kProtocol:
		return fmt.Sprintf("textproto.ProtocolError %q", o.Msg)
	case kEOF:
		return "io.EOF"
	case kUnexpectedEOF:
		return "io.ErrUnexpectedEOF"
	case kReset:
		return "syscall.ECONNRESET (connection reset by peer)"
	case kRefused:
		return "syscall.ECONNREFUSED (connection refused)"
	case kTimeout:
		return "os.ErrDeadlineExceeded (i/o timeout)"
	case kRead:
		return fmt.Sprintf("%d %q", o.Code, o.Msg)
	}
	return "other error: " + o.Msg
}

// classify turns an error into an outcome, the way a client author would
// test it: errors.As for *textproto.Error and textproto.ProtocolError,
// errors.Is for the socket errors.
func classify(err error) outcome {
	if err == nil {
		return okay
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return replyErr(te.Code, te.Msg)
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return protoErr(string(pe))
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return connReset
	case errors.Is(err, syscall.ECONNREFUSED):
		return connRefused
	case errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout():
		return deadline
	case errors.Is(err, io.ErrUnexpectedEOF):
		return unexpectedEOF
	case errors.Is(err, io.EOF):
		return eof
	}
	if reflect.TypeOf(err) == reflect.TypeOf(errors.New("")) {
		return textErr(err.Error())
	}
	return outcome{Kind: kOther, Msg: fmt.Sprintf("%T: %v", err, err)}
}

// step is one client call and what it gave.
type step struct {
	Call string  // the call, e.g. "Stor" or "textproto: ALLO 1048576"
	Out  outcome // its error, classified (or the reply read)
	Got  string  // what it returned besides the error: data, a path, a size...
}

// obs is everything a case observed: the calls in order, and the state
// of the control connection afterwards.
type obs struct {
	Steps []step
	After string
}

// States of the control connection after a case, found with a probe (PWD,
// which only a 257 answers).
const (
	usable      = "usable (PWD ok)"
	notLoggedIn = "usable, not logged in (PWD got 530)"
	closed      = "closed by the server (PWD failed: EOF or reset)"
	stalled     = "stalled (PWD timed out)"
	noClient    = "none: Dial returned no client (it closed the connection)"
	quitted     = "closed by the client (Quit)"
)

// outOfStep is the state where the probe read a reply left over from an
// earlier command.
func outOfStep(code int, msg string) string {
	return fmt.Sprintf("out of step: PWD read the leftover %d %q", code, msg)
}

// afterState names the state of the control connection from the
// probe's result: the reply it read (code 0 when none) or its error.
func afterState(code int, msg string, err error) string {
	var te *textproto.Error
	if errors.As(err, &te) {
		code, msg, err = te.Code, te.Msg, nil
	}
	switch {
	case err == nil && (code == 0 || code == 257):
		return usable
	case err == nil && code == 530:
		return notLoggedIn
	case err == nil:
		return outOfStep(code, msg)
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return closed
	case errors.Is(err, os.ErrDeadlineExceeded):
		return stalled
	}
	return "unknown: PWD got " + classify(err).String()
}

// action runs one case against a fresh server and reports what the
// client observed.
type action func(t *testing.T, srv *ftptest.Server) obs

// dialer is a jlaffaye/ftp dial function that records the connections it
// makes (control and data alike) and the addresses it dials, and closes
// them all when the test ends.
type dialer struct {
	mu      sync.Mutex
	timeout time.Duration // deadline of each connection from its dial
	conns   []net.Conn
	addrs   []string
}

func newDialer(t *testing.T, timeout time.Duration) *dialer {
	d := &dialer{timeout: timeout}
	t.Cleanup(func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, c := range d.conns {
			_ = c.Close()
		}
	})
	return d
}

func (d *dialer) dial(network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	c, err := net.DialTimeout(network, addr, d.timeout)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(d.timeout))
	d.mu.Lock()
	d.conns = append(d.conns, c)
	d.mu.Unlock()
	return c, nil
}

// hurry moves the deadline of every connection so far to shortDeadline from now.
func (d *dialer) hurry() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.SetDeadline(time.Now().Add(shortDeadline))
	}
}

// dataAddrs lists the addresses dialed after the control connection (whose
// port changes from run to run): those of the data connections.
func (d *dialer) dataAddrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.addrs) < 2 {
		return nil
	}
	return append([]string(nil), d.addrs[1:]...)
}

// client is one jlaffaye/ftp session of a case.
type client struct {
	srv *ftptest.Server
	d   *dialer
	c   *ftp.ServerConn
	obs obs
}

// rec records one call.
func (cl *client) rec(call string, err error, got string) outcome {
	o := classify(err)
	cl.obs.Steps = append(cl.obs.Steps, step{Call: call, Out: o, Got: got})
	return o
}

// op is one operation on a jlaffaye/ftp client; it records its calls.
type op func(cl *client)

// dialOpt are the jlaffaye/ftp options a case dials with.
type dialOpt struct {
	noEPSV      bool // DialWithDisabledEPSV(true): PASV only
	explicitTLS bool // DialWithExplicitTLS: AUTH TLS after the greeting, PBSZ and PROT at login
	shut        bool // DialWithShutTimeout(shortDeadline): bounds the wait for the final reply of a transfer
	timeout     time.Duration
}

// plain is the default: EPSV first, no TLS, connections with a 10s deadline.
var plain = dialOpt{}

func (o dialOpt) build(d *dialer) []ftp.DialOption {
	opts := []ftp.DialOption{ftp.DialWithDialFunc(d.dial)}
	if o.noEPSV {
		opts = append(opts, ftp.DialWithDisabledEPSV(true))
	}
	if o.explicitTLS {
		opts = append(opts, ftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // the mock's certificate is self-signed
	}
	if o.shut {
		opts = append(opts, ftp.DialWithShutTimeout(shortDeadline))
	}
	return opts
}

// session dials with o, logs in when login is set, runs ops and probes
// the control connection. Dial is recorded when the case does not log in,
// Login only when it fails; either failing ends the case.
func session(o dialOpt, login bool, ops ...op) action {
	return func(t *testing.T, srv *ftptest.Server) obs {
		timeout := o.timeout
		if timeout == 0 {
			timeout = tc.Timeout
		}
		cl := &client{srv: srv, d: newDialer(t, timeout)}
		c, err := ftp.Dial(srv.Addr(), o.build(cl.d)...)
		if err != nil {
			cl.rec("Dial", err, "")
			cl.obs.After = noClient
			return cl.obs
		}
		cl.c = c
		if !login {
			cl.rec("Dial", nil, "")
		} else if err := c.Login("anonymous", "guest@example.com"); err != nil {
			cl.rec("Login", err, "")
			cl.probe()
			return cl.obs
		}
		for _, f := range ops {
			f(cl)
		}
		if cl.obs.After == "" {
			cl.probe()
		}
		return cl.obs
	}
}

// loggedIn runs ops on a logged-in client (EPSV first, no TLS).
func loggedIn(ops ...op) action { return session(plain, true, ops...) }

// dialed runs ops on a client that has only dialed.
func dialed(ops ...op) action { return session(plain, false, ops...) }

// probe records the state of the control connection in After.
func (cl *client) probe() {
	_, err := cl.c.CurrentDir()
	cl.obs.After = afterState(0, "", err)
}

// call records a call that returns only an error.
func call(name string, f func(c *ftp.ServerConn) error) op {
	return func(cl *client) { cl.rec(name, f(cl.c), "") }
}

// Operations, each named after the jlaffaye/ftp call it makes.
var (
	doLogin  = func(cl *client) { cl.rec("Login", cl.c.Login("anonymous", "guest@example.com"), "") }
	doNoOp   = call("NoOp", (*ftp.ServerConn).NoOp)
	doLogout = call("Logout", (*ftp.ServerConn).Logout)
	doPWD    = func(cl *client) {
		p, err := cl.c.CurrentDir()
		cl.rec("CurrentDir", err, quoteIf(p))
	}
	doQuit = func(cl *client) {
		start := time.Now()
		err := cl.c.Quit()
		got := "returned before the server answered"
		if time.Since(start) >= 900*time.Millisecond {
			got = "waited for the reply"
		}
		cl.rec("Quit", err, got)
		cl.obs.After = quitted
	}
	doFeatures = func(cl *client) {
		cl.rec("IsGetTimeSupported, IsSetTimeSupported, IsTimePreciseInList", nil,
			fmt.Sprintf("MDTM %v, MFMT %v, MLST %v", cl.c.IsGetTimeSupported(), cl.c.IsSetTimeSupported(), cl.c.IsTimePreciseInList()))
	}
	doHurry = func(cl *client) { cl.d.hurry() }
)

func doCwd(path string) op {
	return call("ChangeDir", func(c *ftp.ServerConn) error { return c.ChangeDir(path) })
}

func doMkd(path string) op {
	return call("MakeDir", func(c *ftp.ServerConn) error { return c.MakeDir(path) })
}

func doDelete(path string) op {
	return call("Delete", func(c *ftp.ServerConn) error { return c.Delete(path) })
}

func doRename(from, to string) op {
	return func(cl *client) {
		cl.rec("Rename", cl.c.Rename(from, to), "")
		if b, err := cl.srv.ReadFile(to); err == nil {
			cl.obs.Steps[len(cl.obs.Steps)-1].Got = fmt.Sprintf("server has %s: %q", to, b)
		}
	}
}

func doSize(path string) op {
	return func(cl *client) {
		n, err := cl.c.FileSize(path)
		got := ""
		if err == nil {
			got = fmt.Sprint(n)
		}
		cl.rec("FileSize", err, got)
	}
}

// doStor uploads content to path and reports what the server stored.
func doStor(path, content string) op {
	return func(cl *client) {
		err := cl.c.Stor(path, strings.NewReader(content))
		cl.rec("Stor", err, stored(cl.srv, path))
	}
}

func doAppend(path, content string) op {
	return func(cl *client) {
		err := cl.c.Append(path, strings.NewReader(content))
		cl.rec("Append", err, stored(cl.srv, path))
	}
}

// stored says what the server holds at path.
func stored(srv *ftptest.Server, path string) string {
	b, err := srv.ReadFile(path)
	if err != nil {
		return "server has no " + path
	}
	return fmt.Sprintf("server has %s: %q", path, b)
}

// doRetr downloads path from offset: RetrFrom (Retr when offset is 0),
// io.ReadAll on the data connection (deadline: read), and Close, which
// reads the final reply.
func doRetr(path string, offset uint64, readDeadline time.Duration) op {
	return func(cl *client) {
		name := "Retr"
		if offset > 0 {
			name = fmt.Sprintf("RetrFrom(%d)", offset)
		}
		r, err := cl.c.RetrFrom(path, offset)
		if cl.rec(name, err, dialedData(cl.d, err)).Kind != kOK {
			return
		}
		if readDeadline == 0 {
			readDeadline = tc.Timeout
		}
		_ = r.SetDeadline(time.Now().Add(readDeadline))
		b, err := io.ReadAll(r)
		cl.rec("io.ReadAll", err, fmt.Sprintf("%d bytes %q", len(b), b))
		cl.rec("Close", r.Close(), "")
	}
}

// dialedData names the data address a failed dial tried, when the error
// is about it.
func dialedData(d *dialer, err error) string {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		return ""
	}
	a := d.dataAddrs()
	if len(a) == 0 {
		return ""
	}
	return "dialed " + a[len(a)-1]
}

// retry runs f again, with its calls marked as the retry.
func retry(f op) op {
	return func(cl *client) {
		n := len(cl.obs.Steps)
		f(cl)
		for i := n; i < len(cl.obs.Steps); i++ {
			cl.obs.Steps[i].Call += " (retry)"
		}
	}
}

// sent reports the commands the server received, from its journal (a
// check of what the client did, e.g. that it fell back from EPSV to PASV).
func sent(verbs ...string) op {
	return func(cl *client) {
		want := map[string]bool{}
		for _, v := range verbs {
			want[v] = true
		}
		var got []string
		for _, e := range cl.srv.Journal() {
			if want[e.Command] {
				got = append(got, e.Command)
			}
		}
		cl.rec("(server journal)", nil, "client sent "+strings.Join(got, ", "))
	}
}

func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

// exchange is one raw command and how many replies it gets ("" reads
// replies without sending, e.g. the greeting).
type exchange struct {
	send    string
	replies int
}

// rawSession drives net/textproto on a raw connection, for what
// jlaffaye/ftp has no call for: it records each reply of the exchanges,
// then probes with PWD. The greeting is read unrecorded unless the first
// exchange sends nothing; with login, USER and PASS follow, unrecorded.
func rawSession(login bool, ex ...exchange) action {
	return func(t *testing.T, srv *ftptest.Server) obs {
		r := rawDial(t, srv.Addr())
		if len(ex) == 0 || ex[0].send != "" {
			r.Expect(220)
		}
		if login {
			r.Cmd(331, "USER anonymous")
			r.Cmd(230, "PASS guest@example.com")
		}
		var o obs
		for _, e := range ex {
			name := "textproto: " + e.send
			if e.send == "" {
				name = "textproto: (greeting)"
			} else if err := r.TP.PrintfLine("%s", e.send); err != nil {
				o.Steps = append(o.Steps, step{Call: name, Out: classify(err)})
				continue
			}
			for i := range e.replies {
				if i > 0 {
					name = "textproto: (next reply)"
				}
				code, msg, err := r.Read()
				out := read(code, msg)
				if err != nil {
					out = classify(err)
				}
				o.Steps = append(o.Steps, step{Call: name, Out: out})
			}
		}
		if err := r.TP.PrintfLine("PWD"); err != nil {
			o.After = afterState(0, "", err)
			return o
		}
		o.After = afterState(r.Read())
		return o
	}
}

// rawCmd logs in and sends one command that gets one reply.
func rawCmd(cmd string) action { return rawSession(true, exchange{cmd, 1}) }
