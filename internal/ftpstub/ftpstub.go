// Package ftpstub is a minimal FTP server for tests of how clients read
// listings: it serves given LIST, NLST and MLSD bytes for one folder over
// a plain control connection and passive (PASV, EPSV) or active (PORT,
// EPRT) data connections on loopback, with the greeting, SYST and FEAT a
// test gives. It knows no filesystem and checks no password; everything
// it does not know gets 502. The package dialect's tests use it to put
// each dialect's listings in front of jlaffaye/ftp, lftp and curl.
package ftpstub

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Site is what the stub serves.
type Site struct {
	Greeting []string // the 220 reply's lines, with their codes
	Syst     string   // the 215 reply's text
	Feat     []string // the FEAT reply's lines, with their codes; none: 502
	// Dir is the one folder a client can list (e.g. "/pub"); "/" is its
	// parent and holds only it.
	Dir string
	// LIST, NLST and MLSD are the bytes each listing of Dir sends; a nil
	// MLSD makes MLSD a 502. ListAll is LIST -a's (LIST's when nil).
	LIST, ListAll, NLST, MLSD []byte
	// Root is LIST's bytes for "/" (listing Dir), so that clients that
	// look at the parent first find Dir in it.
	Root []byte
}

// Server is a running stub.
type Server struct {
	Addr string
	site Site
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	log  []string // the commands received, for failure messages
}

// Start serves site on a free loopback port until the test ends.
func Start(t testing.TB, site Site) *Server {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), site: site, ln: ln}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

// Commands returns the commands received so far.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
		}()
	}
}

// session is one control connection.
type session struct {
	s      *Server
	c      net.Conn
	w      *bufio.Writer
	cwd    string
	pasv   net.Listener // the passive listener, until a transfer uses it
	active string       // the client's address after PORT or EPRT
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	ss := &session{s: s, c: c, w: bufio.NewWriter(c), cwd: "/"}
	defer ss.closePasv()
	ss.reply(s.site.Greeting...)
	r := bufio.NewReader(c)
	for i := 0; i < 1000; i++ { // bounded: a test session sends far fewer
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.log = append(s.log, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		if !ss.handle(strings.ToUpper(verb), arg) {
			return
		}
	}
}

func (ss *session) reply(lines ...string) {
	for _, l := range lines {
		_, _ = ss.w.WriteString(l + "\r\n")
	}
	_ = ss.w.Flush()
}

func (ss *session) closePasv() {
	if ss.pasv != nil {
		_ = ss.pasv.Close()
		ss.pasv = nil
	}
}

// handle answers one command; false ends the session.
func (ss *session) handle(verb, arg string) bool {
	site := &ss.s.site
	switch verb {
	case "USER":
		ss.reply("331 Password required")
	case "PASS":
		ss.reply("230 Logged in")
	case "SYST":
		ss.reply("215 " + site.Syst)
	case "FEAT":
		if len(site.Feat) == 0 {
			ss.reply("502 FEAT not implemented")
		} else {
			ss.reply(site.Feat...)
		}
	case "PWD", "XPWD":
		ss.reply(`257 "` + ss.cwd + `" is the current directory`)
	case "CWD":
		ss.cwd = ss.resolve(arg)
		ss.reply("250 CWD command successful")
	case "CDUP":
		ss.cwd = "/"
		ss.reply("250 CDUP command successful")
	case "MODE", "STRU":
		if a := strings.ToUpper(arg); a == "S" || a == "F" {
			ss.reply("200 OK")
		} else {
			ss.reply("504 Only " + verb + " S/F here") // no MODE Z compression
		}
	case "TYPE", "OPTS", "NOOP", "CLNT", "SITE":
		ss.reply("200 OK")
	case "PASV", "EPSV":
		ss.closePasv()
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			ss.reply("425 Cannot listen")
			break
		}
		ss.pasv, ss.active = ln, ""
		p := ln.Addr().(*net.TCPAddr).Port
		if verb == "PASV" {
			ss.reply(fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d).", p/256, p%256))
		} else {
			ss.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", p))
		}
	case "PORT", "EPRT":
		addr, ok := parseActive(verb, arg)
		if !ok {
			ss.reply("501 Bad address")
			break
		}
		ss.closePasv()
		ss.active = addr
		ss.reply("200 " + verb + " command successful")
	case "LIST", "NLST", "MLSD":
		ss.transfer(verb, arg)
	case "SIZE", "MDTM", "MLST":
		ss.reply("550 Not served")
	case "QUIT":
		ss.reply("221 Goodbye")
		return false
	default:
		ss.reply("502 Command not implemented")
	}
	return true
}

func (ss *session) resolve(p string) string {
	switch {
	case p == "" || p == ".":
		return ss.cwd
	case strings.HasPrefix(p, "/"):
		return strings.TrimSuffix(p, "/")
	case ss.cwd == "/":
		return "/" + strings.TrimSuffix(p, "/")
	}
	return ss.cwd + "/" + strings.TrimSuffix(p, "/")
}

// transfer sends a listing of the folder arg names (options such as -a
// or -la are read and dropped).
func (ss *session) transfer(verb, arg string) {
	site := &ss.s.site
	all := false
	var path string
	for _, f := range strings.Fields(arg) {
		if strings.HasPrefix(f, "-") {
			all = all || strings.Contains(f, "a")
			continue
		}
		path = f
	}
	dir := ss.resolve(path)
	var data []byte
	switch {
	case verb == "MLSD" && site.MLSD == nil:
		ss.reply("502 MLSD not implemented")
		return
	case dir == "/" && verb == "LIST":
		data = site.Root
	case dir == "/":
		data = []byte(strings.TrimPrefix(site.Dir, "/") + "\r\n")
	case dir != site.Dir:
		ss.reply("550 No such directory")
		return
	case verb == "MLSD":
		data = site.MLSD
	case verb == "NLST":
		data = site.NLST
	case all && site.ListAll != nil:
		data = site.ListAll
	default:
		data = site.LIST
	}
	conn, err := ss.dataConn()
	if err != nil {
		ss.reply("425 Cannot open data connection")
		return
	}
	ss.reply("150 Opening data connection")
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = conn.Write(data)
	_ = conn.Close()
	if err != nil {
		ss.reply("426 Connection closed; transfer aborted")
		return
	}
	ss.reply("226 Transfer complete")
}

func (ss *session) dataConn() (net.Conn, error) {
	if ss.active != "" {
		addr := ss.active
		ss.active = ""
		return net.DialTimeout("tcp", addr, 10*time.Second)
	}
	if ss.pasv == nil {
		return nil, io.ErrClosedPipe
	}
	ln := ss.pasv
	ss.pasv = nil
	defer ln.Close()
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	return ln.Accept()
}

// parseActive reads the address of PORT h1,h2,h3,h4,p1,p2 or EPRT |1|h|p|.
func parseActive(verb, arg string) (string, bool) {
	if verb == "EPRT" {
		f := strings.Split(arg, "|")
		if len(f) != 5 {
			return "", false
		}
		return net.JoinHostPort(f[2], f[3]), true
	}
	f := strings.Split(arg, ",")
	if len(f) != 6 {
		return "", false
	}
	p1, err1 := strconv.Atoi(f[4])
	p2, err2 := strconv.Atoi(f[5])
	if err1 != nil || err2 != nil {
		return "", false
	}
	return net.JoinHostPort(strings.Join(f[:4], "."), strconv.Itoa(p1*256+p2)), true
}
