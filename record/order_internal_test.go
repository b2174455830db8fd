package record

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeActiveServer answers PORT, and RETR the way vsftpd does in active
// mode: it connects to the PORT address, then sends 150, the bytes, and
// 226 at once.
func fakeActiveServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprint(c, "220 fake\r\n")
		r := bufio.NewReader(c)
		var port string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			verb, arg := parseCommand(line)
			switch verb {
			case "PORT":
				port, _ = parseActive(verb, arg)
				fmt.Fprint(c, "200 PORT ok\r\n")
			case "RETR":
				d, err := net.DialTimeout("tcp", port, time.Second)
				if err != nil {
					fmt.Fprint(c, "425 no\r\n")
					continue
				}
				fmt.Fprint(c, "150 Opening\r\n")
				_, _ = d.Write([]byte("hello\n"))
				_ = d.Close()
				fmt.Fprint(c, "226 Done\r\n")
			default:
				fmt.Fprint(c, "221 Bye\r\n")
				return
			}
		}
	}()
	return l.Addr().String()
}

// In active mode the client gets the data connection before the
// transfer's replies, however slowly the proxy connects to it: the
// upstream connected before it replied (curl fails with exit 8 otherwise).
func TestActiveModeKeepsConnectBeforeReplies(t *testing.T) {
	dialData = func(network, addr string, timeout time.Duration) (net.Conn, error) {
		time.Sleep(300 * time.Millisecond) // a loaded machine
		return net.DialTimeout(network, addr, timeout)
	}
	t.Cleanup(func() { dialData = net.DialTimeout })

	p, err := New(Config{Upstream: fakeActiveServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Serve(pl) }()
	t.Cleanup(func() { _ = p.Close() })

	dl, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	c, err := net.Dial("tcp", pl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	expect := func(code string) {
		t.Helper()
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, code+" ") {
			t.Fatalf("got %q, %v; want %s", line, err, code)
		}
	}
	expect("220")
	dp := dl.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(c, "PORT 127,0,0,1,%d,%d\r\n", dp>>8, dp&0xff)
	expect("200")
	fmt.Fprint(c, "RETR a.txt\r\n")
	expect("150")
	// the proxy's connection must be waiting already
	_ = dl.SetDeadline(time.Now().Add(50 * time.Millisecond))
	d, err := dl.Accept()
	if err != nil {
		t.Fatalf("the 150 came before the data connection: %v", err)
	}
	defer d.Close()
	expect("226")
}
