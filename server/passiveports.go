package server

import (
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// passivePorts is the kernel's ephemeral range, from which a server
// without a configured passive range takes the ports of its passive
// listeners (passivePool, ftpserverlib's PasvPortGetter).
//
// Left to itself, ftpserverlib listens on port 0 for every PASV/EPSV. The
// server closes a download's data connection first, so every RETR leaves
// its passive port in TIME_WAIT for 60 s, and the kernel's search for a
// free port (bind to port 0 prefers ports nobody holds, TIME_WAIT
// included) slows down with each of them: after a few thousand downloads
// in a minute, bind took 85 % of the CPU of a 1 KiB RETR benchmark, about
// 5 ms per EPSV. Binding a named port is one lookup, and a port whose
// only holders are in TIME_WAIT can be bound again (Go sets SO_REUSEADDR
// on listeners). So new ports rotate through the kernel's ephemeral range
// from a random start, one counter for every server of the process; a
// port in use makes ftpserverlib try the next candidate. Only the odd
// offsets of the range are used, as bind to port 0 does: Linux gives
// outgoing connections the even ones first, and a client's connection in
// TIME_WAIT (no SO_REUSEADDR) would make the bind fail.
//
// ftpserverlib binds a named port on 0.0.0.0 only, so this is used only
// when the control connection listens on IPv4 (see Start); an IPv6 or
// dual-stack server keeps port 0.
type passivePorts struct{ lo, n int } // n: the number of odd offsets

var passivePortNext atomic.Uint32

// next returns the next port of the range.
func (p passivePorts) next() int {
	return p.lo + 1 + 2*int(passivePortNext.Add(1)%uint32(p.n))
}

// passivePool is the passive ports of a server without a configured range
// that listens on IPv4: ftpserverlib's PasvPortGetter, with its passive
// port multiplexing on.
//
// A listener per PASV/EPSV costs a socket, bind, listen and close (and
// the accept, Go's five socket options on the connection, while the
// client waits for the 150): most of a small transfer's time. With
// multiplexing, ftpserverlib keeps one listener per port, accepts
// connections as they come and hands each to the PASV/EPSV that reserved
// the port for the client's address. So the ports are reused: a port whose
// reservation ended is offered again first, and a new one (from the
// ephemeral range) only when every known port is reserved. A server thus
// listens on as many ports as it ever had transfers waiting at once (at
// most two per session: ftpserverlib reserves the next port before it
// releases the last), each until the server stops.
//
// Which candidate ftpserverlib reserved is learnt when it hands the
// reservation to the engine (driver.WrapPassiveListener: held) and when
// the engine's listener is closed (released).
type passivePool struct {
	mu      sync.Mutex
	known   map[int]bool // ports with a listener: reserved at least once
	held    map[int]int  // reservations per port
	free    []int        // known ports without a reservation
	cursor  int          // the next free port to offer
	offered int          // free ports offered since the last new one
}

func newPassivePool() *passivePool {
	return &passivePool{known: map[int]bool{}, held: map[int]int{}}
}

// poolFreeRun is how many known ports are offered in a row before a new
// one, so that the candidates of one PASV/EPSV (16) always include new
// ports, whatever other sessions reserve meanwhile.
const poolFreeRun = 8

// FetchNext returns the next candidate port, as both the port announced
// and the port listened on: a known port nobody holds, else a new one.
func (p *passivePool) FetchNext() (int, int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offered < min(len(p.free), poolFreeRun) {
		p.offered++
		p.cursor = (p.cursor + 1) % len(p.free)
		port := p.free[p.cursor]
		return port, port, true
	}
	p.offered = 0
	port := ephemeralPorts().next()
	for range 8 { // a port the pool has is offered as a free one, or is held
		if !p.known[port] {
			break
		}
		port = ephemeralPorts().next()
	}
	return port, port, true
}

// NumberAttempts bounds the ports ftpserverlib tries per PASV/EPSV
// (it tries at least 10).
func (p *passivePool) NumberAttempts() int { return 16 }

// hold notes a reservation of port.
func (p *passivePool) hold(port int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.known[port] = true
	p.held[port]++
	if i := slices.Index(p.free, port); i >= 0 {
		p.free = slices.Delete(p.free, i, i+1)
	}
}

// release notes the end of a reservation of port.
func (p *passivePool) release(port int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch n := p.held[port]; {
	case n == 0:
		return // never held (released twice)
	case n > 1:
		p.held[port] = n - 1
		return
	}
	delete(p.held, port)
	p.free = append(p.free, port)
}

// shared reports whether port is reserved more than once (by clients at
// different addresses, or by one whose first reservation has had its
// connection).
func (p *passivePool) shared(port int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held[port] > 1
}

// has reports whether the pool listens on port.
func (p *passivePool) has(port int) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.known[port]
}

// ephemeralPorts is the kernel's range for port 0 (Linux), else the IANA
// dynamic range.
var ephemeralPorts = sync.OnceValue(func() passivePorts {
	lo, hi := 49152, 65535
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			l, err1 := strconv.Atoi(f[0])
			h, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && 0 < l && l < h && h <= 65535 {
				lo, hi = l, h
			}
		}
	}
	passivePortNext.Store(rand.Uint32())
	return passivePorts{lo: lo, n: (hi - lo + 1) / 2}
})

// onIPv4 reports whether a listener's address is an IPv4 one.
func onIPv4(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.To4() != nil
}
