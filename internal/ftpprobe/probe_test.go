package ftpprobe

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:21":     "127.0.0.1:21",
		":21":            "127.0.0.1:21",
		"[::]:21":        "127.0.0.1:21",
		"[::1]:21":       "[::1]:21",
		"10.0.0.1:2121":  "10.0.0.1:2121",
		"localhost:2121": "localhost:2121",
		"nonsense":       "nonsense",
	} {
		if got := DialAddr(in); got != want {
			t.Errorf("DialAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// serveOnce answers one connection with greeting and returns its address.
func serveOnce(t *testing.T, greeting string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte(greeting))
		buf := make([]byte, 64)
		_, _ = c.Read(buf)
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestGreeting(t *testing.T) {
	addr := serveOnce(t, "220-welcome\r\n220-more\r\n220 ready\r\n")
	line, err := Greeting(addr, false, 5*time.Second)
	if err != nil || line != "220-welcome" {
		t.Fatalf("Greeting = %q, %v", line, err)
	}
	addr = serveOnce(t, "421 busy\r\n")
	if line, err := Greeting(addr, false, 5*time.Second); err == nil || line != "421 busy" || !strings.Contains(err.Error(), "not 220") {
		t.Fatalf("a 421 greeting: %q, %v", line, err)
	}
}
