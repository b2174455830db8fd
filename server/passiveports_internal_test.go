package server

import (
	"net"
	"testing"
)

func TestPassivePortsOddOffsets(t *testing.T) {
	p := passivePorts{lo: 32768, n: (60999 - 32768 + 1) / 2}
	seen := map[int]bool{}
	for range 1000 {
		ex, ln, ok := p.FetchNext()
		if !ok || ex != ln {
			t.Fatalf("FetchNext = %d, %d, %v", ex, ln, ok)
		}
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
