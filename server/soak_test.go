//go:build soak

// The soak test is not part of the default run: scripts/soak.sh runs it
// (go test -tags soak -run TestSoak ./server/ -soak.duration 2m).

package server_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

var (
	soakDuration = flag.Duration("soak.duration", 2*time.Minute, "how long the soak test runs")
	soakClients  = flag.Int("soak.clients", 32, "simultaneous clients")
	soakSeed     = flag.Uint64("soak.seed", 1, "seed of the clients and of the scenario's random faults")
)

// soakScenario fails commands at random (seeded): every kind of reply,
// hang-ups, resets, delays and data-connection faults.
func soakScenario(seed int64) string {
	return fmt.Sprintf(`
version: 1
seed: %d
files: [{path: /seed.bin, size: 300000}]
rules:
  - when: {command: NOOP, probability: 0.02}
    reply: 421 Service not available
    then: close
  - when: {command: PWD, probability: 0.02}
    then: reset
  - when: {command: MKD, probability: 0.2}
    reply: 550 Random refusal
  - when: {command: STOR, probability: 0.1}
    reply: 452 Insufficient storage space
  - when: {command: STOR, probability: 0.1}
    data: {after: 5000, end: reset, reply: 426 Connection closed; transfer aborted, keep_partial: false}
  - when: {command: RETR, probability: 0.1}
    data: {after: 10000, end: close, reply: 426 Connection closed; transfer aborted}
  - when: {command: RETR, probability: 0.05}
    data: {corrupt: 1000}
  - when: {command: LIST, probability: 0.1}
    delay: {min: 1ms, max: 30ms}
  - when: {command: CWD, probability: 0.1}
    reply: {code: 250, text: "multi\nline\nreply"}
`, seed)
}

func countFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

func TestSoak(t *testing.T) {
	sc, err := scenario.Parse("soak.yaml", []byte(soakScenario(int64(*soakSeed))))
	if err != nil {
		t.Fatal(err)
	}
	baseGoroutines, baseFDs := runtime.NumGoroutine(), countFDs()
	srv, err := server.Start(server.Config{Scenario: sc, DataTimeout: time.Second, IdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var acked, unacked, sessions atomic.Int64
	end := time.Now().Add(*soakDuration)
	var wg sync.WaitGroup
	for i := range *soakClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(*soakSeed, uint64(i)))
			for n := 0; n < 1_000_000 && time.Now().Before(end); n++ {
				session := soakSession
				if rng.IntN(5) == 0 {
					session = soakHostile
				}
				a, u := session(srv.Addr(), rng, end)
				acked.Add(int64(a))
				unacked.Add(int64(u))
				sessions.Add(1)
			}
		}()
	}
	wg.Wait()
	// every session has ended on the client side; let the server finish
	deadline := time.Now().Add(10 * time.Second)
	for srv.Sessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Sessions(); n != 0 {
		t.Errorf("%d sessions still open after every client left", n)
	}
	journaled := 0
	for _, e := range srv.Journal().Entries() {
		if !e.Event() {
			journaled++
		}
	}
	// a long soak fills the journal: it drops its oldest entries (commands
	// and events alike) to stay within its bounds, and counts them
	dropped := srv.Journal().Stats().Dropped
	t.Logf("%d sessions, %d commands answered, %d unanswered (server hung up), %d journaled, %d entries dropped for the journal's bounds",
		sessions.Load(), acked.Load(), unacked.Load(), journaled, dropped)
	if int64(journaled)+dropped < acked.Load() || int64(journaled) > acked.Load()+unacked.Load() {
		t.Errorf("journal has %d commands (and dropped %d entries); clients had %d answered and %d unanswered",
			journaled, dropped, acked.Load(), unacked.Load())
	}
	// the hostile clients left the server up and its memory bounded
	if a, _ := soakSession(srv.Addr(), rand.New(rand.NewPCG(0, 0)), time.Now().Add(5*time.Second)); a < 3 {
		t.Errorf("after the soak a plain session got %d replies", a)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("heap in use %d MiB, from the OS %d MiB", ms.HeapInuse>>20, ms.Sys>>20)
	if ms.Sys > 2<<30 {
		t.Errorf("the process holds %d MiB after the soak", ms.Sys>>20)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	// no goroutine or file-descriptor growth once everything has ended
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (runtime.NumGoroutine() > baseGoroutines+2 || countFDs() > baseFDs+2) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > baseGoroutines+2 {
		t.Errorf("goroutines: %d before, %d after", baseGoroutines, g)
		_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
	}
	if f := countFDs(); f > baseFDs+2 {
		t.Errorf("file descriptors: %d before, %d after", baseFDs, f)
	}
}

// soakSession runs one client session of random commands until the server
// hangs up, the session's budget is spent or the soak ends. It returns how
// many commands got a reply and how many did not.
func soakSession(addr string, rng *rand.Rand, end time.Time) (acked, unacked int) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return 0, 0
	}
	defer conn.Close()
	tp := textproto.NewConn(conn)
	cmd := func(format string, args ...any) (int, string, bool) {
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		if err := tp.PrintfLine(format, args...); err != nil {
			unacked++
			return 0, "", false
		}
		code, msg, err := tp.ReadResponse(0)
		for err == nil && code < 200 { // a preliminary reply: the final one follows
			code, msg, err = tp.ReadResponse(0)
		}
		if err != nil {
			if code > 0 {
				acked++
				return code, msg, true
			}
			unacked++
			return 0, "", false
		}
		acked++
		return code, msg, true
	}
	count := func(answered bool) {
		if answered {
			acked++
		} else {
			unacked++
		}
	}
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, _, err := tp.ReadResponse(220); err != nil {
		return 0, 0
	}
	if _, _, ok := cmd("USER soak"); !ok {
		return
	}
	if _, _, ok := cmd("PASS soak"); !ok {
		return
	}
	for range 1 + rng.IntN(30) {
		if time.Now().After(end) {
			break
		}
		ok := true
		switch rng.IntN(9) {
		case 0:
			_, _, ok = cmd("NOOP")
		case 1:
			_, _, ok = cmd("PWD")
		case 2:
			_, _, ok = cmd("MKD /d%d", rng.IntN(1000))
		case 3:
			_, _, ok = cmd("CWD /")
		case 4, 5:
			ok = soakTransfer(conn, tp, cmd, count, "STOR", fmt.Sprintf("/f%d", rng.IntN(100)), rng.IntN(200000))
		case 6, 7:
			ok = soakTransfer(conn, tp, cmd, count, "RETR", "/seed.bin", 0)
		case 8:
			ok = soakTransfer(conn, tp, cmd, count, "LIST", "/", 0)
		}
		if !ok {
			return
		}
	}
	cmd("QUIT")
	return
}

// soakTransfer runs one transfer over EPSV; false when the session is
// over. count records whether the transfer command was answered.
func soakTransfer(conn net.Conn, tp *textproto.Conn, cmd func(string, ...any) (int, string, bool), count func(bool), verb, path string, size int) bool {
	code, msg, ok := cmd("EPSV")
	if !ok {
		return false
	}
	if code != 229 {
		return true
	}
	var port int
	if i := bytes.IndexByte([]byte(msg), '('); i < 0 {
		return true
	} else if _, err := fmt.Sscanf(msg[i:], "(|||%d|)", &port); err != nil {
		return true
	}
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	dc, err := net.DialTimeout("tcp", net.JoinHostPort(host, fmt.Sprint(port)), 3*time.Second)
	if err != nil {
		return true
	}
	defer dc.Close()
	_ = dc.SetDeadline(time.Now().Add(5 * time.Second))
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tp.PrintfLine("%s %s", verb, path); err != nil {
		count(false)
		return false
	}
	code, _, err = tp.ReadResponse(0)
	if err != nil && code == 0 {
		count(false)
		return false
	}
	count(true) // a first reply (1xx or final) proves the server got it
	if code == 150 || code == 125 {
		if verb == "STOR" {
			_, _ = dc.Write(make([]byte, size))
		} else {
			_, _ = io.Copy(io.Discard, dc)
		}
		_ = dc.Close()
		if _, _, err = tp.ReadResponse(0); err != nil {
			return false
		}
	}
	return true
}

// soakHostile is a session of the hostile inputs issue 14 names, one of
// them a session: every one must get a clear reply or a hang-up, never
// take the server down or make it allocate what the client asks for.
func soakHostile(addr string, rng *rand.Rand, end time.Time) (acked, unacked int) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return 0, 0
	}
	defer conn.Close()
	tp := textproto.NewConn(conn)
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, _, err := tp.ReadResponse(220); err != nil {
		return 0, 0
	}
	// cmd writes raw bytes (each line a command the server may journal)
	// and reads the final reply; false once the server has hung up.
	cmd := func(raw string, args ...any) (int, string, bool) {
		if len(args) > 0 {
			raw = fmt.Sprintf(raw, args...)
		}
		if !strings.HasSuffix(raw, "\n") {
			raw += "\r\n"
		}
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.WriteString(conn, raw); err != nil {
			unacked++
			return 0, "", false
		}
		code, msg, err := tp.ReadResponse(0)
		for err == nil && code < 200 {
			code, msg, err = tp.ReadResponse(0)
		}
		if code > 0 {
			acked++
		} else {
			unacked++
		}
		return code, msg, err == nil || code > 0
	}
	send := func(raw string) bool {
		_, _, ok := cmd(raw)
		return ok
	}
	count := func(answered bool) {
		if answered {
			acked++
		} else {
			unacked++
		}
	}
	switch rng.IntN(8) {
	case 0: // an HTTP request on the FTP port
		send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		return
	case 1: // a line far longer than any command
		send(string(bytes.Repeat([]byte("A"), 64<<10)) + "\r\n")
		return
	case 2: // binary garbage with NULs and lone CRs
		b := make([]byte, 512)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		send(string(b) + "\r\n")
		// the server splits at every '\n': each line is a command it may
		// journal before it sees the hang-up, and only the first is answered
		unacked += bytes.Count(b, []byte("\n"))
		return
	}
	if !send("USER hostile\r\n") || !send("PASS hostile\r\n") {
		return
	}
	switch rng.IntN(5) {
	case 0: // a hole of 4 EiB before one byte
		if send("TYPE I\r\n") && send("REST 4611686018427387904\r\n") {
			soakTransfer(conn, tp, cmd, count, "STOR", "/hole.bin", 1)
		}
	case 1: // file names that would forge replies
		send("MKD /a\rb\r\n")
		send("MKD /c\x00d\r\n")
	case 2: // active mode to a privileged port and back to the server
		send("PORT 127,0,0,1,0,22\r\n")
		send("EPRT |1|127.0.0.1|21|\r\n")
	case 3: // out of the root
		send("SITE RMDIR ../outside\r\n")
		send("CWD ../../..\r\n")
		send("STAT /\r\n")
	case 4: // a flood of commands without reading the replies
		var b bytes.Buffer
		for range 2000 {
			b.WriteString("SYST\r\n")
		}
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := conn.Write(b.Bytes()); err != nil {
			unacked += 2000
			return
		}
		for i := range 2000 {
			if _, _, err := tp.ReadResponse(0); err != nil {
				unacked += 2000 - i
				return
			}
			acked++
		}
	}
	if time.Now().Before(end) {
		send("QUIT\r\n")
	}
	return
}
