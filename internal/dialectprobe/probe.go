// Package dialectprobe runs one raw FTP script against any server and
// returns a transcript of exactly what the server sent: every reply line,
// and every byte of every listing and download. The script asks for what
// differs between servers (greeting, FEAT, SYST, HELP, STAT, each
// command's success and failure texts, listings, ASCII mode, TLS), so
// that the transcripts of vsftpd, ProFTPD and pure-ftpd are the
// reference of mockftpd's dialects (package dialect), and a mockftpd
// speaking a dialect can be held to them line by line.
//
// Each step of the script names what it probes with a key ("CWD
// not-found"), which the dialect tests use to look up the dialect's
// prediction of that reply.
package dialectprobe

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Target is the server a script runs against.
type Target struct {
	Addr           string // host:port of the control connection
	User, Password string // a login that may write in Dir
	// BadUser and BadPassword are a login the server refuses.
	BadUser, BadPassword string
	// Dir is a writable folder (relative to the login directory) holding
	// the Tree's files.
	Dir string
	// Active opens data connections with PORT instead of PASV.
	Active bool
	// TLS, when set, runs the TLS session of the script with it (the
	// certificate must be trusted, or checking off).
	TLS *tls.Config
	// Timeout bounds each wait (default 10s).
	Timeout time.Duration
}

// Event is one thing the client sent or saw.
type Event struct {
	Kind string // "cmd", "reply", "data" or "note"
	Key  string // the script step's key, on its command
	Text string // a command line, a reply line, a note; data bytes
}

// Transcript is what a script saw, in order.
type Transcript []Event

// Step is one command of the script.
type Step struct {
	Line string // the command line as sent
	// Key names what the step probes: "VERB outcome" (see package
	// dialect), or "" for a step that only sets things up.
	Key string
	// Data opens a data connection first (PASV or PORT) and reads (or,
	// with Upload, writes) what comes through it.
	Data   bool
	Upload []byte
}

// Session is a control connection: its steps after the greeting.
type Session struct {
	Name string
	// TLS sessions run only against a target with TLS, the others only
	// against one without (whose FEAT and replies are those of a server
	// without FTPS).
	TLS   bool
	Steps []Step
}

// Run runs sessions against tg and returns the transcript. An error
// means the script could not go on (a connection failed or a reply did
// not come); what was seen until then is returned with it.
func Run(tg Target, sessions []Session) (Transcript, error) {
	if tg.Timeout == 0 {
		tg.Timeout = 10 * time.Second
	}
	var tr Transcript
	for _, s := range sessions {
		if s.TLS != (tg.TLS != nil) {
			continue
		}
		tr = append(tr, Event{Kind: "note", Text: "session " + s.Name})
		if err := runSession(tg, s, &tr); err != nil {
			return tr, fmt.Errorf("session %s: %w", s.Name, err)
		}
	}
	return tr, nil
}

// expand fills in the target's login and folder.
func expand(tg Target, line string) string {
	return strings.NewReplacer("{user}", tg.User, "{password}", tg.Password, "{baduser}", tg.BadUser, "{badpassword}", tg.BadPassword, "{dir}", tg.Dir).Replace(line)
}

func runSession(tg Target, s Session, tr *Transcript) error {
	c, err := dial(tg.Addr, tg.Timeout)
	if err != nil {
		return err
	}
	defer c.close()
	r := &runner{tg: tg, c: c, tr: tr}
	if err := r.replies(""); err != nil {
		return err
	}
	for _, st := range s.Steps {
		line := expand(tg, st.Line)
		if st.Data {
			err = r.transfer(line, st)
		} else {
			err = r.command(line, st.Key)
		}
		if errors.Is(err, errClosed) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var errClosed = errors.New("the server closed the connection")

type runner struct {
	tg    Target
	c     *conn
	tr    *Transcript
	protP bool
	// resume shares the control connection's TLS session cache with data
	// connections; without it they start new sessions
	resume bool
}

func (r *runner) add(kind, key, text string) {
	*r.tr = append(*r.tr, Event{Kind: kind, Key: key, Text: text})
}

// replies reads replies until a final one and records them; it returns
// the last one's code.
func (r *runner) replies(key string) error {
	_, _, err := r.final()
	return err
}

func (r *runner) final() (int, []string, error) {
	for {
		code, lines, err := r.c.reply()
		for _, l := range lines {
			r.add("reply", "", l)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.add("note", "", "connection closed")
				return 0, nil, errClosed
			}
			return 0, nil, err
		}
		if code >= 200 {
			return code, lines, nil
		}
	}
}

// command sends line and reads its replies; AUTH TLS, PROT and the
// probe's own pseudo-commands are acted on.
func (r *runner) command(line, key string) error {
	switch line {
	case "#resume on", "#resume off":
		r.resume = line == "#resume on"
		return nil
	}
	r.add("cmd", key, line)
	if err := r.c.send(line); err != nil {
		return err
	}
	code, _, err := r.final()
	if err != nil {
		return err
	}
	verb, arg, _ := strings.Cut(strings.ToUpper(line), " ")
	switch {
	case verb == "AUTH" && code == 234:
		conf := r.tg.TLS.Clone()
		conf.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		if err := r.c.startTLS(conf); err != nil {
			return fmt.Errorf("TLS handshake after AUTH: %w", err)
		}
	case verb == "CCC" && code/100 == 2:
		if err := r.c.clearTLS(); err != nil {
			return fmt.Errorf("TLS closure after CCC: %w", err)
		}
	case verb == "PROT" && code/100 == 2:
		r.protP = arg == "P"
	case verb == "QUIT" && code == 221:
		return errClosed
	}
	return nil
}

// transfer opens a data connection (PASV or PORT), sends line and moves
// the data.
func (r *runner) transfer(line string, st Step) error {
	var (
		dataConn net.Conn
		ln       net.Listener
		err      error
	)
	if r.tg.Active {
		ln, err = net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		if err := r.command("PORT "+portArg(ln), ""); err != nil {
			return err
		}
	} else {
		r.add("cmd", "", "PASV")
		if err := r.c.send("PASV"); err != nil {
			return err
		}
		code, lines, err := r.final()
		if err != nil {
			return err
		}
		if code != 227 {
			return fmt.Errorf("PASV: %v", lines)
		}
		addr, err := pasvAddr(code, lines[len(lines)-1][4:], r.tg.Addr)
		if err != nil {
			return err
		}
		if dataConn, err = net.DialTimeout("tcp", addr, r.tg.Timeout); err != nil {
			return err
		}
		defer func() { _ = dataConn.Close() }()
	}
	r.add("cmd", st.Key, line)
	if err := r.c.send(line); err != nil {
		return err
	}
	code, lines, err := r.c.reply()
	for _, l := range lines {
		r.add("reply", "", l)
	}
	if err != nil {
		return err
	}
	if code >= 200 {
		return nil // refused before any data
	}
	if ln != nil {
		_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(r.tg.Timeout))
		if dataConn, err = ln.Accept(); err != nil {
			return err
		}
		defer func() { _ = dataConn.Close() }()
	}
	if r.protP {
		conf := r.c.tlsConf
		if !r.resume {
			conf = conf.Clone()
			conf.ClientSessionCache = nil
		}
		tc := tls.Client(dataConn, conf)
		_ = tc.SetDeadline(time.Now().Add(r.tg.Timeout))
		if err := tc.Handshake(); err != nil {
			r.add("note", "", "data connection: TLS handshake failed")
			_ = dataConn.Close()
			_, _, err := r.final()
			return err
		}
		if !tc.ConnectionState().DidResume {
			r.add("note", "", "data connection: new TLS session")
		} else {
			r.add("note", "", "data connection: TLS session resumed")
		}
		dataConn = tc
	}
	_ = dataConn.SetDeadline(time.Now().Add(r.tg.Timeout))
	if st.Upload != nil {
		if _, err := dataConn.Write(st.Upload); err != nil {
			r.add("note", "", "data connection: write failed")
		}
		if tc, ok := dataConn.(*tls.Conn); ok {
			_ = tc.CloseWrite()
		}
		_ = dataConn.Close()
	} else {
		b, err := io.ReadAll(dataConn)
		if err != nil && !isTLSShutdown(err) {
			r.add("note", "", "data connection: "+err.Error())
		}
		// closed at once, as clients do: a server that ended its TLS
		// with close_notify may wait for the client's before it replies
		_ = dataConn.Close()
		r.add("data", "", string(b))
	}
	_, _, err = r.final()
	return err
}

// isTLSShutdown reports an end of TLS data without close_notify, which
// some servers do and clients tolerate.
func isTLSShutdown(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "close_notify")
}

// String renders the transcript one event a line: "> command", "< reply
// line", "| data line" (Go-quoted, with its line end), "# note".
func (t Transcript) String() string {
	var b strings.Builder
	for _, e := range t {
		switch e.Kind {
		case "cmd":
			b.WriteString("> " + e.Text)
			if e.Key != "" {
				b.WriteString("\t[" + e.Key + "]")
			}
		case "reply":
			b.WriteString("< " + e.Text)
		case "note":
			b.WriteString("# " + e.Text)
		case "data":
			if e.Text == "" {
				b.WriteString("| (empty)")
			}
			for i, l := range splitAfterLF(e.Text) {
				if i > 0 {
					b.WriteByte('\n')
				}
				b.WriteString("| " + strconv.Quote(l))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func splitAfterLF(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}
