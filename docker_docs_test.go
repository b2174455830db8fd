package mockftpd_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/server"
)

// TestPassivePortsUsedUp backs docs/docker.md: each session waiting for or
// running a passive transfer holds one port of the range; with every port
// held, PASV and EPSV get 421 "Could not listen for passive connection"
// (a holder's own second PASV too), the session stays usable, and a port
// given back serves the next PASV.
func TestPassivePortsUsedUp(t *testing.T) {
	const n = 3
	ports := freePortRange(t, n)
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.PassivePorts = ports }))

	var holders []*tc.Raw
	for i := range n {
		c := tc.RawDial(t, srv.Addr())
		c.Login("u", "p")
		verb := []string{"PASV", "EPSV"}[i%2]
		msg := c.Cmd(map[string]int{"PASV": 227, "EPSV": 229}[verb], "%s", verb)
		t.Logf("session %d: %s → %s", i+1, verb, msg)
		holders = append(holders, c)
	}

	late := tc.RawDial(t, srv.Addr())
	late.Login("u", "p")
	want := fmt.Sprintf("Could not listen for passive connection: every port of the passive range %d-%d (%d ports, -passive-ports) is in use; retry once a transfer has ended", ports.Start, ports.End, n)
	for _, verb := range []string{"PASV", "EPSV", "PORT"} {
		line := verb
		if verb == "PORT" {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			line = "PORT " + tc.PortArg(ln)
		}
		if msg := late.Cmd(421, "%s", line); msg != want {
			t.Fatalf("%s with the range %s used up: 421 %q, want %q", verb, ports, msg, want)
		}
	}
	late.Cmd(200, "NOOP") // the session goes on
	// A second PASV needs a new port before the session's first is let go.
	if msg := holders[1].Cmd(421, "PASV"); !strings.HasPrefix(msg, "Could not listen for passive connection") {
		t.Fatalf("second PASV of a holder: 421 %q", msg)
	}

	// A session that ends gives its port back.
	holders[0].Cmd(221, "QUIT")
	_ = holders[0].Conn.Close()
	retryPASV(t, late)
}

// retryPASV sends PASV until it gets 227 (for up to 5 s): the port of a
// session that just ended is released once the server has closed it.
func retryPASV(t *testing.T, c *tc.Raw) {
	t.Helper()
	for range 250 {
		c.Send("PASV")
		code, msg, err := c.Read()
		if err != nil {
			t.Fatal(err)
		}
		if code == 227 {
			return
		}
		if code != 421 {
			t.Fatalf("PASV: %d %s", code, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("PASV still gets 421 once a port was given back")
}

// freePortRange finds n consecutive TCP ports free on every interface
// (passive listeners bind 0.0.0.0).
func freePortRange(t *testing.T, n int) server.PortRange {
	t.Helper()
	for range 50 {
		start := 40000 + rand.IntN(20000)
		var ls []net.Listener
		for p := start; p < start+n; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf(":%d", p))
			if err != nil {
				break
			}
			ls = append(ls, l)
		}
		ok := len(ls) == n
		for _, l := range ls {
			_ = l.Close()
		}
		if ok {
			return server.PortRange{Start: start, End: start + n - 1}
		}
	}
	t.Fatal("no free port range")
	return server.PortRange{}
}
