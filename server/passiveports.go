package server

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// passivePorts names the port each passive listener binds when no passive
// range is configured (ftpserverlib's PasvPortGetter).
//
// Left to itself, ftpserverlib listens on port 0 for every PASV/EPSV. The
// server closes a download's data connection first, so every RETR leaves
// its passive port in TIME_WAIT for 60 s, and the kernel's search for a
// free port (bind to port 0 prefers ports nobody holds, TIME_WAIT
// included) slows down with each of them: after a few thousand downloads
// in a minute, bind took 85 % of the CPU of a 1 KiB RETR benchmark, about
// 5 ms per EPSV. Binding a named port is one lookup, and a port whose
// only holders are in TIME_WAIT can be bound again (Go sets SO_REUSEADDR
// on listeners). So the ports rotate through the kernel's ephemeral range
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

// FetchNext returns the next port of the range, as both the port
// announced and the port listened on.
func (p passivePorts) FetchNext() (int, int, bool) {
	port := p.lo + 1 + 2*int(passivePortNext.Add(1)%uint32(p.n))
	return port, port, true
}

// NumberAttempts bounds the ports ftpserverlib tries per PASV/EPSV
// (it tries at least 10).
func (p passivePorts) NumberAttempts() int { return 16 }

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
