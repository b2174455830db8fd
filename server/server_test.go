package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/server"
)

func TestAnyUserLogsInByDefault(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	for _, user := range []string{"alice", "anonymous", "x"} {
		c := login(t, srv.Addr(), user, "whatever-"+user)
		dir, err := c.CurrentDir()
		if err != nil || dir != "/" {
			t.Fatalf("%s: PWD = %q, %v; want /", user, dir, err)
		}
	}
}

func TestConfiguredUsers(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) {
		cfg.Users = []server.User{{Name: "alice", Password: "secret", Home: "/home/alice"}, {Name: "bob", Password: "pw"}}
		cfg.AllowAnonymous = true
	}))
	c := login(t, srv.Addr(), "alice", "secret")
	if dir, err := c.CurrentDir(); err != nil || dir != "/home/alice" {
		t.Fatalf("alice PWD = %q, %v; want her home /home/alice", dir, err)
	}
	login(t, srv.Addr(), "bob", "pw")
	login(t, srv.Addr(), "anonymous", "guest@example.com")

	c = dial(t, srv.Addr())
	err := c.Login("alice", "wrong")
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 530 {
		t.Fatalf("wrong password: got %v, want 530", err)
	}
	c = dial(t, srv.Addr())
	if err := c.Login("mallory", "x"); !errors.As(err, &te) || te.Code != 530 {
		t.Fatalf("unknown user: got %v, want 530", err)
	}
}

func TestCommandsBeforeLoginAre530(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := rawDial(t, srv.Addr())
	c.Expect(220)
	for _, cmd := range []string{"PWD", "LIST", "RETR /x", "CWD /", "MKD /d"} {
		c.Cmd(530, "%s", cmd)
	}
	c.Cmd(200, "NOOP")
	c.Cmd(221, "QUIT")
}

func TestDirectoriesAndListings(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	if err := srv.WriteFile("/pub/a.txt", []byte("alpha")); err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteFile("/pub/b.bin", bytes.Repeat([]byte{7}, 1234)); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		opts []ftp.DialOption
	}{
		{"EPSV+MLSD", nil},
		{"PASV+LIST", []ftp.DialOption{ftp.DialWithDisabledEPSV(true), ftp.DialWithDisabledMLSD(true)}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			c := login(t, srv.Addr(), "u", "p", mode.opts...)
			if err := c.MakeDir("/pub/sub" + mode.name); err != nil {
				t.Fatal(err)
			}
			if err := c.ChangeDir("/pub"); err != nil {
				t.Fatal(err)
			}
			if d, _ := c.CurrentDir(); d != "/pub" {
				t.Fatalf("PWD after CWD = %q", d)
			}
			entries, err := c.List("")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]*ftp.Entry{}
			for _, e := range entries {
				got[e.Name] = e
			}
			if e := got["a.txt"]; e == nil || e.Size != 5 || e.Type != ftp.EntryTypeFile {
				t.Fatalf("a.txt entry = %+v", e)
			}
			if e := got["b.bin"]; e == nil || e.Size != 1234 {
				t.Fatalf("b.bin entry = %+v", e)
			}
			if e := got["sub"+mode.name]; e == nil || e.Type != ftp.EntryTypeFolder {
				t.Fatalf("subdir entry = %+v", e)
			}
			names, err := c.NameList("/pub")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"a.txt", "b.bin"} {
				if !slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, want) }) {
					t.Fatalf("NLST = %v, missing %s", names, want)
				}
			}
			if err := c.ChangeDirToParent(); err != nil {
				t.Fatal(err)
			}
			if d, _ := c.CurrentDir(); d != "/" {
				t.Fatalf("PWD after CDUP = %q", d)
			}
			if err := c.RemoveDir("/pub/sub" + mode.name); err != nil {
				t.Fatal(err)
			}
			if err := c.ChangeDir("/nope"); err == nil {
				t.Fatal("CWD to a missing dir succeeded")
			}
		})
	}
	// MLST (GetEntry) on a file
	c := login(t, srv.Addr(), "u", "p")
	e, err := c.GetEntry("/pub/a.txt")
	if err != nil || e.Size != 5 || e.Name != "a.txt" {
		t.Fatalf("MLST = %+v, %v", e, err)
	}
}

func TestTransfersAndResume(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	payload := make([]byte, 3<<20+17)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	c := login(t, srv.Addr(), "u", "p")

	if err := c.Stor("/up/file.bin", bytes.NewReader(payload)); err == nil {
		t.Fatal("STOR into a missing directory succeeded")
	}
	if err := c.MakeDir("/up"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("/up/file.bin", bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	if u, err := srv.WaitUpload("/up/file.bin", 5*time.Second); err != nil || u.Size != int64(len(payload)) {
		t.Fatalf("WaitUpload = %+v, %v", u, err)
	}
	stored, err := srv.ReadFile("/up/file.bin")
	if err != nil || !bytes.Equal(stored, payload) {
		t.Fatalf("stored %d bytes (err %v), want the %d uploaded", len(stored), err, len(payload))
	}
	got, err := retr(c, "/up/file.bin", 0)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("RETR got %d bytes, %v", len(got), err)
	}
	// REST + RETR: resume a download
	got, err = retr(c, "/up/file.bin", 1<<20)
	if err != nil || !bytes.Equal(got, payload[1<<20:]) {
		t.Fatalf("RETR from 1 MiB got %d bytes, %v", len(got), err)
	}
	// REST + STOR: resume an upload
	if err := c.Stor("/up/part.bin", bytes.NewReader(payload[:1000])); err != nil {
		t.Fatal(err)
	}
	if err := c.StorFrom("/up/part.bin", bytes.NewReader(payload[1000:]), 1000); err != nil {
		t.Fatal(err)
	}
	if b, _ := srv.ReadFile("/up/part.bin"); !bytes.Equal(b, payload) {
		t.Fatalf("resumed upload has %d bytes, want %d equal bytes", len(b), len(payload))
	}
	// APPE
	if err := c.Append("/up/part.bin", strings.NewReader("tail")); err != nil {
		t.Fatal(err)
	}
	if size, err := c.FileSize("/up/part.bin"); err != nil || size != int64(len(payload))+4 {
		t.Fatalf("SIZE = %d, %v", size, err)
	}
	if mt, err := c.GetTime("/up/part.bin"); err != nil || time.Since(mt) > time.Minute {
		t.Fatalf("MDTM = %v, %v", mt, err)
	}
	// RNFR/RNTO and DELE
	if err := c.Rename("/up/part.bin", "/up/renamed.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ReadFile("/up/part.bin"); !os.IsNotExist(err) {
		t.Fatalf("old name still there: %v", err)
	}
	if err := c.Delete("/up/renamed.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ReadFile("/up/renamed.bin"); !os.IsNotExist(err) {
		t.Fatalf("deleted file still there: %v", err)
	}
	var te *textproto.Error
	if _, err := retr(c, "/missing", 0); !errors.As(err, &te) || te.Code != 550 {
		t.Fatalf("RETR of a missing file: %v, want 550", err)
	}
	if err := c.NoOp(); err != nil {
		t.Fatal(err)
	}
}

func TestMiscCommands(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	if msg := c.Cmd(215, "SYST"); !strings.Contains(msg, "UNIX") {
		t.Fatalf("SYST = %q", msg)
	}
	feat := c.Cmd(211, "FEAT")
	for _, f := range []string{"EPSV", "EPRT", "MLSD", "SIZE", "MDTM", "REST STREAM", "UTF8"} {
		if !strings.Contains(feat, f) {
			t.Fatalf("FEAT lacks %s:\n%s", f, feat)
		}
	}
	if strings.Contains(feat, "AUTH") { // plain FTP by default
		t.Fatalf("FEAT offers AUTH without FTPS on:\n%s", feat)
	}
	explicit := rawDial(t, ftptest.New(t, ftptest.WithTLS(server.TLSExplicit)).Addr())
	explicit.Login("u", "p")
	if feat := explicit.Cmd(211, "FEAT"); !strings.Contains(feat, "AUTH TLS") {
		t.Fatalf("FEAT lacks AUTH TLS with explicit FTPS:\n%s", feat)
	}
	c.Cmd(200, "TYPE I")
	c.Cmd(200, "NOOP")
	c.Cmd(500, "FOOBAR")
	c.Cmd(221, "QUIT")
	if _, _, err := c.Read(); err == nil {
		t.Fatal("connection still open after QUIT")
	}
}

// TestActiveMode drives PORT and EPRT by hand: jlaffaye/ftp has no active mode.
func TestActiveMode(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	if err := srv.WriteFile("/f.txt", []byte("active data")); err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(200, "TYPE I")
	for _, verb := range []string{"PORT", "EPRT"} {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if verb == "PORT" {
			c.Cmd(200, "PORT %s", portArg(ln))
		} else {
			c.Cmd(200, "EPRT |1|127.0.0.1|%d|", ln.Addr().(*net.TCPAddr).Port)
		}
		c.Send("RETR /f.txt")
		c.Expect(150)
		_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(clientTimeout))
		dc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		_ = dc.SetDeadline(time.Now().Add(clientTimeout))
		b, err := io.ReadAll(dc)
		_ = dc.Close()
		_ = ln.Close()
		if err != nil || string(b) != "active data" {
			t.Fatalf("%s: got %q, %v", verb, b, err)
		}
		c.Expect(226)
	}
	// upload in active mode
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c.Cmd(200, "PORT %s", portArg(ln))
	c.Send("STOR /up.txt")
	c.Expect(150)
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(clientTimeout))
	dc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = dc.Write([]byte("uploaded actively"))
	_ = dc.Close()
	c.Expect(226)
	if b, _ := srv.ReadFile("/up.txt"); string(b) != "uploaded actively" {
		t.Fatalf("stored %q", b)
	}
	// FTP bounce: a PORT or EPRT to another host is refused
	c.Cmd(501, "PORT 10,1,2,3,4,5")
	c.Cmd(501, "EPRT |1|10.1.2.3|1029|")
	c.Cmd(501, "EPRT |2|2001:db8::1|1029|")
}

func TestIPv6(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	_ = ln.Close()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.Listen = "[::1]:0" }))
	if err := srv.WriteFile("/six.txt", []byte("over IPv6")); err != nil {
		t.Fatal(err)
	}
	c := login(t, srv.Addr(), "u", "p")
	got, err := retr(c, "/six.txt", 0)
	if err != nil || string(got) != "over IPv6" {
		t.Fatalf("EPSV over IPv6: %q, %v", got, err)
	}
	if err := c.Stor("/six-up.txt", strings.NewReader("back")); err != nil {
		t.Fatal(err)
	}
	// EPRT with an IPv6 address
	rc := rawDial(t, srv.Addr())
	rc.Login("u", "p")
	dl, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	rc.Cmd(200, "EPRT |2|::1|%d|", dl.Addr().(*net.TCPAddr).Port)
	rc.Send("RETR /six.txt")
	rc.Expect(150)
	_ = dl.(*net.TCPListener).SetDeadline(time.Now().Add(clientTimeout))
	dc, err := dl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(dc)
	_ = dc.Close()
	if string(b) != "over IPv6" {
		t.Fatalf("EPRT over IPv6 got %q", b)
	}
	rc.Expect(226)
}

// tlsModes are the FTPS modes, with whether the client asks for TLS
// (AUTH TLS) or starts with it.
var tlsModes = []struct {
	name     string
	mode     server.TLSMode
	explicit bool
}{
	{"explicit", server.TLSExplicit, true},
	{"implicit", server.TLSImplicit, false},
}

func TestFTPS(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte("secure "), 100000)
	for _, tc := range tlsModes {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.TLS = tc.mode }))
			c := dialTLS(t, srv.Addr(), tc.explicit, srv)
			if err := c.Login("u", "p"); err != nil { // sends PBSZ 0 and PROT P
				t.Fatal(err)
			}
			if err := c.Stor("/secret.bin", bytes.NewReader(payload)); err != nil {
				t.Fatal(err)
			}
			got, err := retr(c, "/secret.bin", 0)
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("RETR over TLS: %d bytes, %v", len(got), err)
			}
			if _, err := c.List("/"); err != nil {
				t.Fatal(err)
			}
			var tlsTransfers int
			for _, e := range srv.Journal() {
				if e.Transfer != nil && e.Transfer.TLS {
					tlsTransfers++
				}
			}
			if tlsTransfers != 3 {
				t.Fatalf("journal shows %d TLS transfers, want 3", tlsTransfers)
			}
		})
	}
}

func TestPlainServerRefusesAUTH(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.TLS = server.TLSNone }))
	c := rawDial(t, srv.Addr())
	c.Expect(220)
	c.Send("AUTH TLS")
	if code, _, _ := c.Read(); code < 400 {
		t.Fatalf("AUTH TLS on a plain server got %d", code)
	}
	c.Cmd(211, "FEAT")
}

func TestHostDirectoryIsJailed(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("top secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "inside.txt"), []byte("fine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	srv := ftptest.New(t, ftptest.WithRoot(root))
	c := login(t, srv.Addr(), "u", "p")
	if got, err := retr(c, "/inside.txt", 0); err != nil || string(got) != "fine" {
		t.Fatalf("inside.txt: %q, %v", got, err)
	}
	rel, _ := filepath.Rel(root, filepath.Join(outside, "secret.txt"))
	for _, p := range []string{"../" + filepath.Base(outside) + "/secret.txt", rel, "/../../" + rel, filepath.Join(outside, "secret.txt"), "/escape/secret.txt"} {
		if got, err := retr(c, p, 0); err == nil {
			t.Fatalf("RETR %s escaped the root: %q", p, got)
		}
	}
	if err := c.Stor("/escape/planted.txt", strings.NewReader("x")); err == nil {
		t.Fatal("STOR through a symlink out of the root succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted.txt")); err == nil {
		t.Fatal("a file was written outside the root")
	}
	if err := c.Stor("/new.txt", strings.NewReader("on disk")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "new.txt")); err != nil || string(b) != "on disk" {
		t.Fatalf("host file: %q, %v", b, err)
	}
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.MaxConnections = 2 }))
	a := rawDial(t, srv.Addr())
	a.Expect(220)
	b := rawDial(t, srv.Addr())
	b.Expect(220)
	c := rawDial(t, srv.Addr())
	if msg := c.Expect(421); !strings.Contains(msg, "Too many") {
		t.Fatalf("third connection: %q", msg)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.IdleTimeout = 300 * time.Millisecond }))
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Expect(421)
	if _, _, err := c.Read(); err == nil {
		t.Fatal("still connected after the idle timeout")
	}
}

// TestIdleTimeoutOverTLS checks the idle timeout still runs once the
// control connection is TLS (its handshake sets deadlines of its own).
func TestIdleTimeoutOverTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range tlsModes {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) {
				cfg.TLS = tc.mode
				cfg.IdleTimeout = 300 * time.Millisecond
			}))
			c := dialTLS(t, srv.Addr(), tc.explicit, srv)
			if err := c.Login("u", "p"); err != nil {
				t.Fatal(err)
			}
			// the server ends the idle session (within 5 s: well under the
			// dial helper's 10 s watchdog, which would end it too)
			waitSessionsEnd(t, srv, 5*time.Second, "the idle session was not ended")
			if err := c.NoOp(); err == nil {
				t.Fatal("NOOP succeeded after the idle timeout")
			}
		})
	}
}

func TestWaitCommandAndJournal(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := login(t, srv.Addr(), "carol", "pw")
	if err := c.MakeDir("/made"); err != nil {
		t.Fatal(err)
	}
	e, err := srv.WaitCommand("MKD", "/made", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if e.User != "carol" || len(e.Codes) != 1 || e.Codes[0] != 257 {
		t.Fatalf("journal entry = %+v", e)
	}
	if _, err := srv.WaitCommand("RMD", "", 50*time.Millisecond); err == nil {
		t.Fatal("WaitCommand found a command never sent")
	}
}

// TestFiftyParallelServers starts 50 servers in parallel subtests: no
// shared state, no two live servers on one port.
func TestFiftyParallelServers(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	ports := map[string]bool{}
	for i := range 50 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t)
			port := srv.Addr()
			mu.Lock()
			if ports[port] {
				t.Errorf("port %s used twice", port)
			}
			ports[port] = true
			mu.Unlock()
			t.Cleanup(func() { // runs before the server closes: its port is in use until then
				mu.Lock()
				delete(ports, port)
				mu.Unlock()
			})
			name := fmt.Sprintf("/f%d.txt", i)
			c := login(t, srv.Addr(), "u", "p")
			if err := c.Stor(name, strings.NewReader(name)); err != nil {
				t.Fatal(err)
			}
			if got, err := retr(c, name, 0); err != nil || string(got) != name {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestShutdownLetsTransfersFinish(t *testing.T) {
	t.Parallel()
	srv, err := server.Start(server.Config{ShutdownGrace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := login(t, srv.Addr(), "u", "p")
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- c.Stor("/slow.bin", pr) }()
	_, _ = pw.Write(bytes.Repeat([]byte{1}, 1000))
	// wait until the transfer is under way
	deadline := time.Now().Add(5 * time.Second)
	for srv.Sessions() == 0 || !journalHas(srv, "STOR") {
		if time.Now().After(deadline) {
			t.Fatal("STOR never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(t.Context()) }()
	time.Sleep(50 * time.Millisecond)
	_, _ = pw.Write(bytes.Repeat([]byte{2}, 1000))
	_ = pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("upload during shutdown failed: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	b, err := srv.ReadFile("/slow.bin")
	if err != nil || len(b) != 2000 {
		t.Fatalf("stored %d bytes, %v; want 2000", len(b), err)
	}
	// the journal is complete: the upload's final reply is recorded
	for _, e := range srv.Journal().Entries() {
		if e.Command == "STOR" && (e.Done.IsZero() || e.Codes[len(e.Codes)-1] != 226 || e.Transfer == nil || e.Transfer.BytesIn != 2000) {
			t.Fatalf("journal entry of the upload: %+v", e)
		}
	}
}

func journalHas(srv *server.Server, verb string) bool {
	for _, e := range srv.Journal().Entries() {
		if e.Command == verb {
			return true
		}
	}
	return false
}

// TestASCIIModeUpload: TYPE A converts CRLF to LF on upload and back on
// download (ftpserverlib's converter on top of the in-memory filesystem).
func TestASCIIModeUpload(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(200, "TYPE A")
	text := strings.Repeat("a line of text\r\n", 20000)
	dc, err := deadlineDial("tcp", pasvAddr(t, c.Cmd(227, "PASV")))
	if err != nil {
		t.Fatal(err)
	}
	c.Send("STOR /text.txt")
	c.Expect(150)
	if _, err := dc.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	_ = dc.Close()
	c.Expect(226)
	stored, _ := srv.ReadFile("/text.txt")
	if want := strings.ReplaceAll(text, "\r\n", "\n"); string(stored) != want {
		t.Fatalf("stored %d bytes, want %d with LF line ends", len(stored), len(want))
	}
	dc, err = deadlineDial("tcp", pasvAddr(t, c.Cmd(227, "PASV")))
	if err != nil {
		t.Fatal(err)
	}
	c.Send("RETR /text.txt")
	c.Expect(150)
	back, err := io.ReadAll(dc)
	if err != nil || string(back) != text {
		t.Fatalf("downloaded %d bytes (%v), want %d with CRLF", len(back), err, len(text))
	}
	c.Expect(226)
}

// TestPassivePortsAndPublicHost: passive listeners stay in the configured
// range, and 227 replies advertise the public host (Docker, NAT).
func TestPassivePortsAndPublicHost(t *testing.T) {
	t.Parallel()
	// find a free run of 5 ports
	base := 0
	for try := 0; try < 50 && base == 0; try++ {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if p+4 <= 65535 {
			base = p
		}
	}
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) {
		cfg.PassivePorts = server.PortRange{Start: base, End: base + 4}
		cfg.PublicHost = "203.0.113.7"
	}))
	if err := srv.WriteFile("/f.txt", []byte("via the range")); err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	for range 3 {
		msg := c.Cmd(227, "PASV")
		if !strings.Contains(msg, "(203,0,113,7,") {
			t.Fatalf("227 advertises %q, want the public host", msg)
		}
		var port int
		fmt.Sscanf(pasvAddr(t, msg)[len("203.0.113.7:"):], "%d", &port)
		if port < base || port > base+4 {
			t.Fatalf("passive port %d outside %d-%d", port, base, base+4)
		}
	}
	// a real client on loopback ignores the advertised host (jlaffaye's default)
	jc := login(t, srv.Addr(), "u", "p", ftp.DialWithDisabledEPSV(true))
	if got, err := retr(jc, "/f.txt", 0); err != nil || string(got) != "via the range" {
		t.Fatalf("RETR through the range: %q, %v", got, err)
	}
	if _, err := server.Start(server.Config{PublicHost: "::1"}); err == nil {
		t.Fatal("an IPv6 public host was accepted for PASV")
	}
}

// TestPassivePortsPooled: without a configured range, an IPv4 server keeps
// a listener per passive port and reuses its ports (see passivePool): a
// port whose reservation ended is named again, transfers work through
// them, from a second loopback address too, a connection from another
// address never takes a session's reservation, and PORT may not name a
// pool port.
func TestPassivePortsPooled(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	if err := srv.WriteFile("/f.txt", []byte("pooled ports")); err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	var ports []int
	for range 3 {
		ports = append(ports, epsvPort(t, c.Cmd(229, "EPSV")))
	}
	// the second EPSV reserves before the first is released; the third
	// gets the first's port back
	if ports[0] == ports[1] || ports[2] != ports[0] {
		t.Fatalf("three EPSVs named ports %v, want A, B, A", ports)
	}
	if msg := c.Cmd(501, "PORT 127,0,0,1,%d,%d", ports[1]>>8, ports[1]&0xff); !strings.Contains(msg, "one of the server's own") {
		t.Fatalf("PORT to a pool port: %q", msg)
	}

	// another address connecting to the reserved port gets nothing; the
	// session's own connection then carries its RETR
	other := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: clientTimeout}
	if stray, err := other.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2]))); err == nil {
		_ = stray.SetReadDeadline(time.Now().Add(clientTimeout))
		if n, err := stray.Read(make([]byte, 64)); err == nil {
			t.Fatalf("a connection from 127.0.0.2 to a reservation of 127.0.0.1 read %d bytes", n)
		}
		_ = stray.Close()
	}
	d, err := deadlineDial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2])))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c.Cmd(150, "RETR /f.txt")
	if got, err := io.ReadAll(d); err != nil || string(got) != "pooled ports" {
		t.Fatalf("RETR on the reserved port: %q, %v", got, err)
	}
	c.Expect(226)

	jc := login(t, srv.Addr(), "u", "p")
	jc2 := dial(t, srv.Addr(), ftp.DialWithDialFunc(func(network, addr string) (net.Conn, error) {
		return other.Dial(network, addr)
	}))
	if err := jc2.Login("u", "p"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, cl := range []*ftp.ServerConn{jc, jc2} {
			if got, err := retr(cl, "/f.txt", 0); err != nil || string(got) != "pooled ports" {
				t.Fatalf("RETR: %q, %v", got, err)
			}
		}
	}
}
