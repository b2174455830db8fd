package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/server"
)

func TestLongAndOddLines(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(500, "NOOP %s", strings.Repeat("x", 5000)) // over the 4 KiB limit
	c.Cmd(200, "NOOP")
	c.Cmd(500, "NO\x00OP") // a NUL cannot cut a line short
	c.Cmd(257, "MKD /caf\xc3\x28")
	c.Cmd(257, "PWD")
	// Telnet IP and Synch before ABOR, as RFC 959 clients send them
	if _, err := c.Conn.Write([]byte("\xff\xf4\xff\xf2ABOR\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Expect(226)
	// IAC IAC is a literal 0xff; WILL/WONT/DO/DONT negotiations are dropped
	if _, err := c.Conn.Write([]byte("\xff\xfb\x01NOOP\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Expect(200)
	c.Cmd(221, "QUIT")
}

func TestEndlessLineIsDropped(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	conn, err := deadlineDial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	greeting := make([]byte, 64)
	if n, err := conn.Read(greeting); err != nil || !bytes.HasPrefix(greeting[:n], []byte("220 ")) {
		t.Fatalf("greeting %q, %v", greeting[:n], err)
	}
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	var werr error
	for i := 0; i < 40 && werr == nil; i++ { // 2.5 MiB without a line end
		_, werr = conn.Write(chunk)
	}
	_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
	rest, err := io.ReadAll(conn) // the server hangs up without a word
	if len(rest) != 0 {
		t.Fatalf("server said %q", rest)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open")
	}
	login(t, srv.Addr(), "u", "p") // and still serves others
}

func TestTenThousandPipelinedCommands(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	const n = 10000
	go func() { _, _ = c.Conn.Write(bytes.Repeat([]byte("NOOP\r\n"), n)) }()
	for range n {
		c.Expect(200)
	}
	c.Cmd(257, "PWD")
}

func TestSlowClientHitsIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.IdleTimeout = 400 * time.Millisecond }))
	c := rawDial(t, srv.Addr())
	c.Expect(220)
	for _, b := range []byte("NOOP") { // one byte at a time, never a whole line
		if _, err := c.Conn.Write([]byte{b}); err != nil {
			break
		}
		time.Sleep(150 * time.Millisecond)
	}
	c.Expect(421)
}

func TestUnusedDataConnections(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	var conns []net.Conn
	for range 5 {
		dc, err := deadlineDial("tcp", pasvAddr(t, c.Cmd(227, "PASV")))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, dc)
	}
	c.Cmd(257, "PWD")
	c.Cmd(221, "QUIT")
	for _, dc := range conns {
		_ = dc.Close()
	}
}

func TestConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.MaxConnectionsPerIP = 3 }))
	for range 3 {
		rawDial(t, srv.Addr()).Expect(220)
	}
	c := rawDial(t, srv.Addr())
	c.Expect(421)
}

// TestAbusiveClientBesideNormalOnes: one client sends garbage while 50
// normal sessions log in, upload and download; all of them succeed.
func TestAbusiveClientBesideNormalOnes(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	stop := make(chan struct{})
	abuseDone := make(chan struct{})
	go func() {
		defer close(abuseDone)
		rng := rand.New(rand.NewPCG(1, 2))
		buf := make([]byte, 8192)
		for round := 0; round < 200; round++ {
			select {
			case <-stop:
				return
			default:
			}
			conn, err := deadlineDial("tcp", srv.Addr())
			if err != nil {
				return
			}
			for range 4 {
				for i := range buf {
					buf[i] = byte(rng.Uint32())
				}
				if _, err := conn.Write(buf); err != nil {
					break
				}
			}
			_ = conn.Close()
		}
	}()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := tcDial(srv.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Quit()
			if err := c.Login("u", "p"); err != nil {
				t.Error(err)
				return
			}
			name := fmt.Sprintf("/n%d", i)
			if err := c.Stor(name, strings.NewReader(name)); err != nil {
				t.Error(err)
				return
			}
			if got, err := retr(c, name, 0); err != nil || string(got) != name {
				t.Errorf("%s: got %q, %v", name, got, err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-abuseDone
}

func TestQuota(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.Quota = 100 << 10 }))
	c := login(t, srv.Addr(), "u", "p")
	if err := c.Stor("/a.bin", bytes.NewReader(make([]byte, 60<<10))); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Stor("/b.bin", bytes.NewReader(make([]byte, 60<<10))), 552, "")
	if err := c.Delete("/a.bin"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("/b.bin", bytes.NewReader(make([]byte, 60<<10))); err != nil {
		t.Fatalf("after a delete freed room: %v", err)
	}
	if _, err := server.Start(server.Config{Quota: 1, Root: t.TempDir()}); err == nil {
		t.Fatal("a quota with a host directory was accepted")
	}
}

func TestMaxLineLength(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.MaxLineLength = 64 }))
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(500, "MKD /%s", strings.Repeat("d", 100))
	c.Cmd(257, "MKD /%s", strings.Repeat("d", 50))
}
