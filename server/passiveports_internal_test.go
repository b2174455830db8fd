package server

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	tc "github.com/mockftpd/mockftpd/internal/testclient"
)

func TestPassivePortsOddOffsets(t *testing.T) {
	p := passivePorts{lo: 32768, n: (60999 - 32768 + 1) / 2}
	seen := map[int]bool{}
	for range 1000 {
		ln := p.next()
		if ln < 32768 || ln > 60999 || (ln-32768)%2 != 1 {
			t.Fatalf("port %d: want an odd offset in 32768-60999", ln)
		}
		seen[ln] = true
	}
	if len(seen) != 1000 {
		t.Fatalf("1000 fetches gave %d distinct ports", len(seen))
	}
	r := ephemeralPorts()
	if r.lo <= 0 || r.n <= 0 || r.lo+2*r.n > 65536 {
		t.Fatalf("ephemeral range %+v", r)
	}
}

// TestPassivePool: known ports nobody holds are offered first, a new one
// comes after at most poolFreeRun of them (and whenever none is free), held
// ports are not offered, and a release makes a port free again once its
// last reservation ends.
func TestPassivePool(t *testing.T) {
	p := newPassivePool()
	fetch := func() int {
		ex, ln, ok := p.FetchNext()
		if !ok || ex != ln {
			t.Fatalf("FetchNext = %d, %d, %v", ex, ln, ok)
		}
		return ln
	}
	a := fetch() // nothing known: new ports
	b := fetch()
	if a == b || p.has(a) {
		t.Fatalf("new ports %d, %d; has(%d) = %v before a reservation", a, b, a, p.has(a))
	}
	p.hold(a)
	p.hold(b)
	if !p.has(a) || !p.has(b) {
		t.Fatal("held ports are not known")
	}
	if c := fetch(); c == a || c == b {
		t.Fatalf("a held port (%d) was offered", c)
	}
	p.release(a)
	p.release(a) // a second release of the same reservation is ignored
	if c := fetch(); c != a {
		t.Fatalf("offered %d, want the free port %d", c, a)
	}
	if c := fetch(); c == a || c == b {
		t.Fatalf("after the only free port, offered %d, want a new one", c)
	}
	p.hold(a) // two reservations (clients at two addresses)
	p.hold(a)
	p.release(a)
	if c := fetch(); c == a {
		t.Fatal("a port still held once was offered")
	}
	p.release(a)
	p.release(b)
	// 20 more known ports, all free (22 with a and b): runs of poolFreeRun known ports, then a new one
	for i := range 20 {
		p.hold(40001 + 2*i)
	}
	for i := range 20 {
		p.release(40001 + 2*i)
	}
	seen := map[int]bool{}
	p.offered = 0
	for i := range 3 * (poolFreeRun + 1) {
		port := fetch()
		if known := p.has(port); known != (i%(poolFreeRun+1) != poolFreeRun) {
			t.Fatalf("fetch %d: port %d known = %v", i, port, known)
		}
		if p.has(port) {
			seen[port] = true
		}
	}
	if len(seen) != 22 {
		t.Fatalf("the free ports offered in turn: %d of 22", len(seen))
	}
}

func TestOnIPv4(t *testing.T) {
	for _, c := range []struct {
		addr string
		want bool
	}{{"127.0.0.1:21", true}, {"0.0.0.0:21", true}, {"[::1]:21", false}, {"[::]:21", false}} {
		a, err := net.ResolveTCPAddr("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := onIPv4(a); got != c.want {
			t.Errorf("onIPv4(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
}

// TestRegisterPassiveOneUnbound: two listeners on one port (clients at two
// addresses holding a multiplexed port at once) are bound in the order
// their sessions relay the 229: the second waits until the first is bound.
func TestRegisterPassiveOneUnbound(t *testing.T) {
	s := &Server{passive: map[int][]*dataListener{}}
	mk := func() *dataListener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return &dataListener{Listener: ln, srv: s, port: 5, closed: make(chan struct{}), settled: make(chan struct{})}
	}
	l1, l2 := mk(), mk()
	defer l1.Close()
	defer l2.Close()
	s.registerPassive(l1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.registerPassive(l2)
	}()
	select {
	case <-done:
		t.Fatal("a second listener on the port was registered while the first was unbound")
	case <-time.After(50 * time.Millisecond):
	}
	b1, b2 := &dataBinding{}, &dataBinding{}
	if got := s.bindData(5, b1); got != l1 {
		t.Fatal("the first relay did not bind the first listener")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the second listener stayed unregistered after the first was bound")
	}
	if got := s.bindData(5, b2); got != l2 || l1.bound.Load() != b1 {
		t.Fatal("the second relay did not bind the second listener")
	}
	_ = l1.Close()
	if got := s.passive[5]; len(got) != 1 || got[0] != l2 {
		t.Fatalf("after closing the first: %v", got)
	}
}

// TestPoolPortTakenTwice: a client (one address) whose data connection
// came through a multiplexed port, and who reserves the same port again
// from another session before the first is closed, still gets the second
// connection: closing the first reservation must not end the second
// (ftpserverlib ends a port's reservation by address; see
// dataListener.Close). Without that care the second RETR fails with 425
// after the data timeout.
func TestPoolPortTakenTwice(t *testing.T) {
	srv, err := Start(Config{Listen: "127.0.0.1:0", DataTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.pool == nil {
		t.Skip("no multiplexed passive ports on this machine's loopback")
	}
	if err := srv.WriteFile("/f", []byte("twice")); err != nil {
		t.Fatal(err)
	}
	a, b := tc.RawDial(t, srv.Addr()), tc.RawDial(t, srv.Addr())
	a.Login("u", "p")
	b.Login("u", "p")
	port := tc.EPSVPort(t, a.Cmd(229, "EPSV"))
	dataA, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer dataA.Close()
	// ftpserverlib hands dataA to a's reservation as it comes (give it a
	// moment), and forgets the reservation; then the pool offers the port
	// again, as when two PASV/EPSVs at once were both offered it
	time.Sleep(50 * time.Millisecond)
	srv.pool.mu.Lock()
	srv.pool.free = append(srv.pool.free, port)
	srv.pool.mu.Unlock()
	if got := tc.EPSVPort(t, b.Cmd(229, "EPSV")); got != port {
		t.Fatalf("b's EPSV named %d, want a's port %d", got, port)
	}
	a.Cmd(229, "EPSV") // a's first reservation is closed
	dataB, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer dataB.Close()
	b.Cmd(150, "RETR /f")
	_ = dataB.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := io.ReadAll(dataB); err != nil || string(got) != "twice" {
		t.Fatalf("b's RETR through the port a took before: %q, %v", got, err)
	}
	b.Expect(226)
}
