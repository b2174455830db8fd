package server_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/server"
)

// The data-fault tests drive every fault over every data mode: passive
// (PASV, EPSV) and active (PORT, EPRT), each in clear and with PROT P. The
// raw client speaks all of them; jlaffaye/ftp (passive only) checks what a
// real client library reports.

const (
	// the server's DataTimeout: short where a test waits it out (refuse:
	// ignore), else long enough for a TLS handshake on a busy machine
	ignoreTimeout = 500 * time.Millisecond
	dataTimeout   = 5 * time.Second
	quiet         = 150 * time.Millisecond // how long "nothing comes" is watched
	dataSeed      = 7
	fileSize      = 40000
	upBase        = "base content\n" // what /up.bin holds before an APPE
)

type dmode struct {
	verb string // PASV, EPSV, PORT or EPRT
	tls  bool
}

func (m dmode) String() string {
	if m.tls {
		return m.verb + "+TLS"
	}
	return m.verb
}

var dataModes = []dmode{
	{"PASV", false}, {"EPSV", false}, {"PORT", false}, {"EPRT", false},
	{"PASV", true}, {"EPSV", true}, {"PORT", true}, {"EPRT", true},
}

var clientTLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the server's certificate is self-signed

// dataFiles seeds a 40000-byte file, a directory to list, a file to append
// to, and for big a 4 MiB file.
func dataFiles(big bool) string {
	var b strings.Builder
	b.WriteString("files:\n  - {path: /f.bin, size: 40000}\n")
	if big {
		b.WriteString("  - {path: /big.bin, size: 4MiB}\n")
	}
	fmt.Fprintf(&b, "  - {path: /up.bin, content: %q}\n", upBase)
	for i := range 60 {
		fmt.Fprintf(&b, "  - {path: /d/a-file-with-a-rather-long-name-%02d.txt, content: x}\n", i)
	}
	return b.String()
}

// dataServer starts a server whose rule scripts fault when the rule's
// "when" mapping matches.
func dataServer(t *testing.T, when, fault string, opts ...ftptest.Option) *ftptest.Server {
	t.Helper()
	y := fmt.Sprintf("version: 1\nseed: %d\n%srules:\n  - when: %s\n    data: %s\n", dataSeed, dataFiles(strings.Contains(fault, "stall") && strings.Contains(when, "RETR")), when, fault)
	timeout := dataTimeout
	if strings.Contains(fault, "ignore") {
		timeout = ignoreTimeout
	}
	opts = append(opts, ftptest.WithConfig(func(c *server.Config) { c.DataTimeout = timeout }))
	return withYAML(t, y, opts...)
}

// whenFor matches cmd; a listing rule fires from the second listing on
// (the first is the reference).
func whenFor(cmd string) string {
	switch cmd {
	case "LIST", "NLST", "MLSD":
		return fmt.Sprintf("{command: %s, nth: 2}", cmd)
	}
	return fmt.Sprintf("{command: %s}", cmd)
}

func isUploadCmd(cmd string) bool { return cmd == "STOR" || cmd == "APPE" }

// cmdLine is the command line a test sends for cmd.
func cmdLine(cmd string) string {
	switch cmd {
	case "RETR":
		return "RETR /f.bin"
	case "STOR", "APPE":
		return cmd + " /up.bin"
	}
	return cmd + " /d"
}

// afterFor is the byte count the cut tests use for cmd.
func afterFor(cmd string) int {
	switch cmd {
	case "LIST", "NLST", "MLSD":
		return 1000
	}
	return 10000
}

// corrupted is what the corrupt fault makes of b: the test's own oracle of
// the documented algorithm (a byte flipped where the hash of the seed and
// its position falls on a multiple of every).
func corrupted(b []byte, seed int64, every uint64) []byte {
	out := bytes.Clone(b)
	for i := range out {
		h := splitmix(uint64(seed) ^ uint64(i)*0x9e3779b97f4a7c15)
		if h%every == 0 {
			out[i] ^= byte(h>>32) | 1
		}
	}
	return out
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// payload is the deterministic content the upload tests send.
func payload(n int) []byte {
	b := make([]byte, n)
	x := uint64(42)
	for i := range b {
		x = splitmix(x)
		b[i] = byte(x)
	}
	return b
}

// rawData is the raw client with a data channel in one mode.
type rawData struct {
	*tc.Raw
	t    *testing.T
	mode dmode
}

// rawLogin logs in a raw client, with TLS on both connections for a TLS mode.
func rawLogin(t *testing.T, addr string, mode dmode) *rawData {
	t.Helper()
	c := rawDial(t, addr)
	c.Expect(220)
	if mode.tls {
		c.Cmd(234, "AUTH TLS")
		conn := tls.Client(c.Conn, clientTLS)
		if err := conn.Handshake(); err != nil {
			t.Fatalf("TLS handshake: %v", err)
		}
		c.Conn, c.TP = conn, textproto.NewConn(conn)
	}
	c.Cmd(331, "USER u")
	c.Cmd(230, "PASS p")
	if mode.tls {
		c.Cmd(200, "PBSZ 0")
		c.Cmd(200, "PROT P")
	}
	c.Cmd(200, "TYPE I")
	return &rawData{Raw: c, t: t, mode: mode}
}

// channel sets up the data channel for the next transfer command: in
// passive mode it connects at once (as jlaffaye/ftp does), in active mode
// it listens. The function it returns gives the data connection once the
// command is sent; connected reports whether one ever came.
func (d *rawData) channel() (get func() (net.Conn, error), listener net.Listener) {
	t := d.t
	t.Helper()
	wrap := func(c net.Conn) net.Conn {
		_ = c.SetDeadline(time.Now().Add(clientTimeout))
		if d.mode.tls {
			return tls.Client(c, clientTLS)
		}
		return c
	}
	switch d.mode.verb {
	case "PASV", "EPSV":
		var addr string
		if d.mode.verb == "PASV" {
			addr = pasvAddr(t, d.Cmd(227, "PASV"))
		} else {
			host, _, _ := net.SplitHostPort(d.Conn.RemoteAddr().String())
			addr = net.JoinHostPort(host, strconv.Itoa(epsvPort(t, d.Cmd(229, "EPSV"))))
		}
		conn, err := net.DialTimeout("tcp", addr, clientTimeout)
		if err != nil {
			t.Fatalf("passive connect: %v", err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return func() (net.Conn, error) { return wrap(conn), nil }, nil
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	if d.mode.verb == "PORT" {
		d.Cmd(200, "PORT %s", portArg(ln))
	} else {
		d.Cmd(200, "EPRT |1|127.0.0.1|%d|", ln.Addr().(*net.TCPAddr).Port)
	}
	return func() (net.Conn, error) {
		_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(clientTimeout))
		c, err := ln.Accept()
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = c.Close() })
		return wrap(c), nil
	}, ln
}

// reply reads the next reply within wait; code 0 means none came.
func (d *rawData) reply(wait time.Duration) (int, string, time.Time) {
	d.t.Helper()
	_ = d.Conn.SetReadDeadline(time.Now().Add(wait))
	defer d.Conn.SetReadDeadline(time.Now().Add(clientTimeout))
	code, msg, err := d.Read()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return 0, "", time.Now()
	}
	if err != nil && code == 0 {
		d.t.Fatalf("reading a reply: %v", err)
	}
	return code, msg, time.Now()
}

// noReply checks that no reply comes for a while.
func (d *rawData) noReply() {
	d.t.Helper()
	if code, msg, _ := d.reply(quiet); code != 0 {
		d.t.Fatalf("want no reply, got %d %q", code, msg)
	}
}

type stamp struct {
	at    time.Time
	total int
}

// readData reads until EOF, an error, or wait passes; it notes when each
// piece arrived.
func readData(conn net.Conn, wait time.Duration) ([]byte, []stamp, error) {
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	var data []byte
	var stamps []stamp
	buf := make([]byte, 64<<10)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			data = append(data, buf[:n]...)
			stamps = append(stamps, stamp{time.Now(), len(data)})
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return data, stamps, err
		}
	}
}

// readStalled reads the n bytes a stalled transfer moves, then checks
// that nothing more comes and the connection stays open.
func readStalled(t *testing.T, conn net.Conn, n int) []byte {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
	got := make([]byte, n)
	if k, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("a stalled transfer moved %d bytes: %v", k, err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(quiet))
	var ne net.Error
	if k, err := conn.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("after the stall: %d more bytes, %v", k, err)
	}
	return got
}

// result is what the client saw of one transfer command.
type result struct {
	sent      time.Time // when the command was sent
	prelim    int       // the 1xx code, 0 if none came
	prelimAt  time.Time
	connected bool
	handshake bool   // a TLS data connection completed its handshake
	data      []byte // received (downloads)
	dataErr   error  // how the data connection ended for the client (nil: EOF)
	stamps    []stamp
	doneAt    time.Time // EOF (download) or close (upload) of the data connection
	final     int       // 0 if none came within the wait
	finalMsg  string
	finalAt   time.Time
}

// download runs a download command the way a careful client does: the
// 1xx, then the data, then the final reply (within finalWait).
func (d *rawData) download(line string, finalWait time.Duration) result {
	get, _ := d.channel()
	var r result
	r.sent = time.Now()
	d.Send("%s", line)
	if !d.first(&r) {
		return r
	}
	conn, err := get()
	if err != nil {
		r.dataErr = err
	} else {
		r.connected = true
		r.data, r.stamps, r.dataErr = readData(conn, clientTimeout)
		r.doneAt = time.Now()
		_ = conn.Close()
	}
	r.final, r.finalMsg, r.finalAt = d.reply(finalWait)
	return r
}

// upload runs an upload command: the 1xx, then the data, then the final reply.
func (d *rawData) upload(line string, data []byte, finalWait time.Duration) result {
	get, _ := d.channel()
	var r result
	r.sent = time.Now()
	d.Send("%s", line)
	if !d.first(&r) {
		return r
	}
	conn, err := get()
	if err != nil {
		r.dataErr = err
	} else {
		r.connected = true
		_, r.dataErr = conn.Write(data)
		_ = conn.Close()
		r.doneAt = time.Now()
	}
	r.final, r.finalMsg, r.finalAt = d.reply(finalWait)
	return r
}

// first reads the first reply of a transfer command; false if it was final.
func (d *rawData) first(r *result) bool {
	code, msg, at := d.reply(clientTimeout)
	if code == 0 {
		d.t.Fatal("no reply to the transfer command")
	}
	if code >= 200 {
		r.final, r.finalMsg, r.finalAt = code, msg, at
		return false
	}
	r.prelim, r.prelimAt = code, at
	return true
}

// zeroByteTransfer runs cmd, whose data connection the server ends
// before a byte moves: the 1xx, the data connection (an upload sends a
// few bytes into it, which may be refused), the final reply.
func (d *rawData) zeroByteTransfer(cmd string) result {
	get, _ := d.channel()
	var r result
	r.sent = time.Now()
	d.Send("%s", cmdLine(cmd))
	if !d.first(&r) {
		return r
	}
	conn, err := get()
	if err != nil {
		r.dataErr = err
	} else {
		r.connected = true
		if tc, ok := conn.(*tls.Conn); ok {
			r.dataErr = tc.Handshake()
			r.handshake = r.dataErr == nil
		}
		if r.dataErr == nil && isUploadCmd(cmd) {
			_, r.dataErr = conn.Write([]byte("some bytes"))
			if r.dataErr == nil {
				_, _, r.dataErr = readData(conn, clientTimeout) // until the server ends it
			}
		} else if r.dataErr == nil {
			r.data, r.stamps, r.dataErr = readData(conn, clientTimeout)
		}
		r.doneAt = time.Now()
		if len(r.data) > 0 {
			d.t.Fatalf("%d bytes moved, want none", len(r.data))
		}
		_ = conn.Close()
	}
	r.final, r.finalMsg, r.finalAt = d.reply(clientTimeout)
	return r
}

// wantReplies checks the replies of the journal's last cmd.
func wantReplies(t *testing.T, srv *ftptest.Server, cmd string, want ...string) {
	t.Helper()
	var got []string
	for _, e := range srv.Journal() {
		if e.Command == cmd {
			got = e.Replies
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("journal replies %q, want %q", got, want)
	}
}

// reference downloads line without a fault (the rule fires from the second time).
func (d *rawData) reference(srv *ftptest.Server, cmd string) []byte {
	d.t.Helper()
	if cmd == "RETR" {
		b, err := srv.ReadFile("/f.bin")
		if err != nil || len(b) != fileSize {
			d.t.Fatalf("seed file: %d bytes, %v", len(b), err)
		}
		return b
	}
	r := d.download(cmdLine(cmd), clientTimeout)
	if r.final != 226 || r.dataErr != nil || len(r.data) < 2*afterFor(cmd) {
		d.t.Fatalf("reference %s: %d, %d bytes, %v", cmd, r.final, len(r.data), r.dataErr)
	}
	return r.data
}

// transferInfo is the journal's record of the transfer of the last cmd.
func transferInfo(t *testing.T, srv *ftptest.Server, cmd string) journal.Transfer {
	t.Helper()
	deadline := time.Now().Add(clientTimeout)
	for time.Now().Before(deadline) {
		var last *journal.Entry
		for _, e := range srv.Journal() {
			if e.Command == cmd {
				last = &e
			}
		}
		if last != nil && last.Transfer != nil && !last.Done.IsZero() {
			return *last.Transfer
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no transfer of %s in the journal", cmd)
	return journal.Transfer{}
}

// wantInfo checks the journal's record of the last cmd.
func wantInfo(t *testing.T, srv *ftptest.Server, m dmode, cmd, end string, in, out int) {
	t.Helper()
	got := transferInfo(t, srv, cmd)
	want := journal.Transfer{Mode: m.verb, TLS: m.tls, BytesIn: int64(in), BytesOut: int64(out), End: end}
	if got != want {
		t.Fatalf("journal: %+v, want %+v", got, want)
	}
}

func wantFinal(t *testing.T, r result, prelim, final int) {
	t.Helper()
	if r.prelim != prelim || r.final != final {
		t.Fatalf("replies %d then %d %q, want %d then %d", r.prelim, r.final, r.finalMsg, prelim, final)
	}
}

func wantData(t *testing.T, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d (equal prefix: %v)", len(got), len(want), bytes.HasPrefix(want, got))
	}
}

func wantStored(t *testing.T, srv *ftptest.Server, want []byte) {
	t.Helper()
	got, err := srv.ReadFile("/up.bin")
	if want == nil {
		if !os.IsNotExist(err) {
			t.Fatalf("/up.bin: %d bytes, %v; want it gone", len(got), err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	wantData(t, got, want)
}

// stored is what /up.bin holds after cmd stored data.
func stored(cmd string, data []byte) []byte {
	if cmd == "APPE" {
		return append([]byte(upBase), data...)
	}
	return data
}

// usable checks that the session still works after the transfer.
func (d *rawData) usable() {
	d.t.Helper()
	d.Cmd(200, "NOOP")
}

// dataCase is one fault, tried with each of its commands in each mode.
type dataCase struct {
	name  string
	fault string // the rule's data mapping, %d replaced by afterFor(cmd)
	cmds  []string
	first bool   // the rule fires at once, with no reference listing first
	step  string // more of the rule's step, e.g. "preliminary: 150 Here"
	run   func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string)
}

var downloads = []string{"RETR", "LIST", "NLST", "MLSD"}

var dataCases = []dataCase{
	{
		name:  "cut",
		fault: "{after: %d, end: close}",
		cmds:  []string{"RETR", "LIST", "NLST", "MLSD", "STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			n := afterFor(cmd)
			if isUploadCmd(cmd) {
				data := payload(fileSize)
				r := d.upload(cmdLine(cmd), data, clientTimeout)
				wantFinal(t, r, 150, 426) // the default after a cut
				wantStored(t, srv, stored(cmd, data[:n]))
				wantInfo(t, srv, d.mode, cmd, "cut", n, 0)
				if u := lastUpload(srv); u.Complete || u.Size != int64(n) {
					t.Fatalf("upload record %+v", u)
				}
			} else {
				ref := d.reference(srv, cmd)
				r := d.download(cmdLine(cmd), clientTimeout)
				wantFinal(t, r, 150, 426)
				wantData(t, r.data, ref[:n])
				if !d.mode.tls && r.dataErr != nil {
					t.Fatalf("a FIN should end the data cleanly, got %v", r.dataErr)
				}
				wantInfo(t, srv, d.mode, cmd, "cut", 0, n)
			}
			d.usable()
		},
	},
	{
		name:  "reset-451",
		fault: `{after: %d, end: reset, reply: "451 Local error in processing"}`,
		cmds:  downloads,
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			n := afterFor(cmd)
			ref := d.reference(srv, cmd)
			r := d.download(cmdLine(cmd), clientTimeout)
			wantFinal(t, r, 150, 451)
			if r.finalMsg != "Local error in processing" {
				t.Fatalf("final text %q", r.finalMsg)
			}
			wantData(t, r.data, ref[:n])
			if !d.mode.tls && !errors.Is(r.dataErr, syscall.ECONNRESET) {
				t.Fatalf("want a connection reset, got %v", r.dataErr)
			}
			wantInfo(t, srv, d.mode, cmd, "reset", 0, n)
			d.usable()
		},
	},
	{
		name:  "disk-full-452-discard",
		fault: `{after: %d, end: close, reply: "452 Insufficient storage space in system", keep_partial: false}`,
		cmds:  []string{"STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			n := afterFor(cmd)
			r := d.upload(cmdLine(cmd), payload(fileSize), clientTimeout)
			wantFinal(t, r, 150, 452)
			if cmd == "APPE" {
				wantStored(t, srv, []byte(upBase)) // back to what it was
			} else {
				wantStored(t, srv, nil)
			}
			wantInfo(t, srv, d.mode, cmd, "cut", n, 0)
			d.usable()
		},
	},
	{
		name:  "quota-552-reset-keep",
		fault: `{after: %d, end: reset, reply: "552 Exceeded storage allocation"}`,
		cmds:  []string{"STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			n := afterFor(cmd)
			data := payload(fileSize)
			r := d.upload(cmdLine(cmd), data, clientTimeout)
			wantFinal(t, r, 150, 552)
			wantStored(t, srv, stored(cmd, data[:n]))
			wantInfo(t, srv, d.mode, cmd, "reset", n, 0)
			d.usable()
		},
	},
	{
		name:  "stall",
		fault: "{after: %d, end: stall}",
		cmds:  []string{"RETR", "NLST", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			n := afterFor(cmd)
			line := cmdLine(cmd)
			var ref, data []byte
			if cmd == "RETR" {
				// a file much larger than the socket buffers: the real server
				// is still writing when ABOR comes
				line = "RETR /big.bin"
				ref, _ = srv.ReadFile("/big.bin")
			} else if !isUploadCmd(cmd) {
				ref = d.reference(srv, cmd)
			}
			get, _ := d.channel()
			d.Send("%s", line)
			d.Expect(150)
			conn, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if isUploadCmd(cmd) {
				data = payload(fileSize)
				if _, err := conn.Write(data); err != nil {
					t.Fatal(err)
				}
			} else {
				wantData(t, readStalled(t, conn, n), ref[:n])
			}
			d.noReply()
			d.Send("ABOR")
			d.Expect(426)
			d.Expect(226)
			d.usable()
			if isUploadCmd(cmd) {
				wantStored(t, srv, data[:n])
				wantInfo(t, srv, d.mode, cmd, "stalled", n, 0)
			} else {
				wantInfo(t, srv, d.mode, cmd, "stalled", 0, n)
			}
		},
	},
	{
		name:  "refuse-ignore",
		first: true,
		fault: "{refuse: ignore}",
		cmds:  []string{"RETR", "LIST", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			get, ln := d.channel()
			start := time.Now()
			d.Send("%s", cmdLine(cmd))
			if msg := d.Expect(425); msg != "Can't open data connection." {
				t.Fatalf("425 text %q", msg)
			}
			if waited := time.Since(start); waited < ignoreTimeout*9/10 {
				t.Fatalf("425 after %v, before the server's %v data timeout", waited, ignoreTimeout)
			}
			if ln != nil {
				// active: the server never connected
				_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Millisecond))
				if c, err := ln.Accept(); err == nil {
					_ = c.Close()
					t.Fatal("the server connected to the client")
				}
			} else {
				// passive: the connection was held, never served, closed at the end
				conn, _ := get()
				if b, _, err := readData(conn, clientTimeout); len(b) > 0 || (err != nil && !d.mode.tls) {
					t.Fatalf("refused connection gave %d bytes, %v", len(b), err)
				}
			}
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			d.usable()
		},
	},
	{
		name:  "refuse-close",
		first: true,
		fault: "{refuse: close}",
		cmds:  []string{"RETR", "LIST", "NLST", "MLSD", "STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			get, _ := d.channel()
			d.Send("%s", cmdLine(cmd))
			d.Expect(425)
			conn, err := get() // it came, and was closed at once
			if err != nil {
				t.Fatal(err)
			}
			if b, _, _ := readData(conn, clientTimeout); len(b) > 0 {
				t.Fatalf("refused connection gave %d bytes", len(b))
			}
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			d.usable()
		},
	},
	{
		name:  "refuse-425",
		first: true,
		fault: "{refuse: 425}",
		cmds:  []string{"RETR", "LIST", "NLST", "MLSD", "STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			_, ln := d.channel()
			d.Send("%s", cmdLine(cmd))
			d.Expect(425)
			if ln != nil {
				_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Millisecond))
				if c, err := ln.Accept(); err == nil {
					_ = c.Close()
					t.Fatal("the server connected to the client")
				}
			}
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			d.usable()
		},
	},
	{
		name:  "refuse-reset",
		first: true,
		fault: "{refuse: reset}",
		cmds:  []string{"RETR", "LIST", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			get, _ := d.channel()
			d.Send("%s", cmdLine(cmd))
			d.Expect(425)
			conn, err := get()
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := readData(conn, clientTimeout)
			if len(b) > 0 || err == nil || (!d.mode.tls && !errors.Is(err, syscall.ECONNRESET)) {
				t.Fatalf("refused connection gave %d bytes, %v; want a reset", len(b), err)
			}
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			d.usable()
		},
	},
	{
		// what the recorder writes for a server that said 150, then
		// refused the data connection: the 150 comes first
		name:  "refuse-close-after-preliminary",
		first: true,
		fault: `{refuse: close, reply: "522 Data connection must be protected"}`,
		step:  "preliminary: 150 Opening BINARY mode data connection",
		cmds:  []string{"RETR", "LIST", "NLST", "MLSD", "STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			r := d.zeroByteTransfer(cmd)
			wantFinal(t, r, 150, 522)
			if r.dataErr != nil && !d.mode.tls {
				t.Fatalf("a FIN should end the data connection cleanly, got %v", r.dataErr)
			}
			if d.mode.tls && !r.handshake { // refused after it, as vsftpd refuses a session not resumed
				t.Fatal("the TLS handshake did not complete before the refusal")
			}
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			wantReplies(t, srv, cmd, "150 Opening BINARY mode data connection", "522 Data connection must be protected")
			d.usable()
		},
	},
	{
		name:  "refuse-reset-after-preliminary",
		first: true,
		fault: "{refuse: reset, delay_preliminary: 100ms}",
		step:  "preliminary: 125 Data connection already open",
		cmds:  []string{"RETR", "LIST", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			r := d.zeroByteTransfer(cmd)
			wantFinal(t, r, 125, 425)
			if r.prelimAt.Sub(r.sent) < 100*time.Millisecond {
				t.Fatalf("125 after %v, before its 100ms delay", r.prelimAt.Sub(r.sent))
			}
			if !d.mode.tls && !errors.Is(r.dataErr, syscall.ECONNRESET) && !errors.Is(r.dataErr, syscall.EPIPE) {
				t.Fatalf("want a reset data connection, got %v", r.dataErr)
			}
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			d.usable()
		},
	},
	{
		name:  "refuse-ignore-after-preliminary",
		first: true,
		fault: "{refuse: ignore}",
		step:  "preliminary: 150 Here it comes",
		cmds:  []string{"RETR", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			_, _ = d.channel()
			start := time.Now()
			d.Send("%s", cmdLine(cmd))
			d.Expect(150)
			d.Expect(425)
			if waited := time.Since(start); waited < ignoreTimeout*9/10 {
				t.Fatalf("425 after %v, before the server's %v data timeout", waited, ignoreTimeout)
			}
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			d.usable()
		},
	},
	{
		name:  "refuse-425-after-preliminary",
		first: true,
		fault: `{refuse: "425"}`,
		step:  "preliminary: 150 Trying",
		cmds:  []string{"RETR", "LIST"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			_, _ = d.channel()
			d.Send("%s", cmdLine(cmd))
			d.Expect(150)
			d.Expect(425)
			wantInfo(t, srv, d.mode, cmd, "refused", 0, 0)
			d.usable()
		},
	},
	{
		// byte-zero choreography: the 150, then a FIN, not a byte moved
		name:  "after-0-close",
		first: true,
		fault: "{after: 0}",
		cmds:  []string{"RETR", "LIST", "NLST", "MLSD", "STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			r := d.zeroByteTransfer(cmd)
			wantFinal(t, r, 150, 426)
			if !d.mode.tls && r.dataErr != nil {
				t.Fatalf("a FIN should end the data connection cleanly, got %v", r.dataErr)
			}
			if d.mode.tls && !r.handshake {
				t.Fatal("the TLS handshake did not complete before the close")
			}
			switch cmd {
			case "STOR":
				wantStored(t, srv, []byte{})
			case "APPE":
				wantStored(t, srv, []byte(upBase))
			}
			wantInfo(t, srv, d.mode, cmd, "cut", 0, 0)
			d.usable()
		},
	},
	{
		name:  "after-0-reset",
		first: true,
		fault: `{after: 0, end: reset, delay_data: 100ms, reply: "451 Transfer aborted"}`,
		step:  "preliminary: 125 Go ahead",
		cmds:  []string{"RETR", "MLSD", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			r := d.zeroByteTransfer(cmd)
			wantFinal(t, r, 125, 451)
			if !d.mode.tls && !errors.Is(r.dataErr, syscall.ECONNRESET) && !errors.Is(r.dataErr, syscall.EPIPE) {
				t.Fatalf("want a reset data connection, got %v", r.dataErr)
			}
			if r.doneAt.Sub(r.sent) < 100*time.Millisecond {
				t.Fatalf("reset %v after the command, before the 100ms delay_data", r.doneAt.Sub(r.sent))
			}
			wantInfo(t, srv, d.mode, cmd, "reset", 0, 0)
			d.usable()
		},
	},
	{
		name:  "after-0-stall",
		first: true,
		fault: "{after: 0, end: stall}",
		cmds:  []string{"RETR", "LIST", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			get, _ := d.channel()
			d.Send("%s", cmdLine(cmd))
			d.Expect(150)
			conn, err := get()
			if err != nil {
				t.Fatal(err)
			}
			readStalled(t, conn, 0)
			d.noReply()
			d.Send("ABOR")
			d.Expect(426)
			d.Expect(226)
			d.usable()
			wantInfo(t, srv, d.mode, cmd, "stalled", 0, 0)
		},
	},
	{
		name:  "content",
		first: true,
		fault: `{content: "-rw-r--r-- 1 ftp ftp 5 Jan 01 2024 weird name.txt\r\n"}`,
		cmds:  []string{"RETR", "LIST", "NLST", "MLSD"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			const want = "-rw-r--r-- 1 ftp ftp 5 Jan 01 2024 weird name.txt\r\n"
			r := d.download(cmdLine(cmd), clientTimeout)
			wantFinal(t, r, 150, 226)
			wantData(t, r.data, []byte(want))
			wantInfo(t, srv, d.mode, cmd, "complete", 0, len(want))
			if cmd != "RETR" {
				return
			}
			// whatever TYPE says, and from the REST offset on
			d.Cmd(350, "REST 11")
			d.Cmd(200, "TYPE A")
			r = d.download("RETR /no/such/file", clientTimeout)
			wantFinal(t, r, 150, 226)
			wantData(t, r.data, []byte(want[11:]))
		},
	},
	{
		name:  "content-shaped",
		first: true,
		fault: `{base64: "AAECAwQFBgcICQoLDA0ODw==", after: 10, end: reset, chunk: 4, chunk_delay: 30ms, reply: "451 Cut"}`,
		cmds:  []string{"RETR", "LIST"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			r := d.download(cmdLine(cmd), clientTimeout)
			wantFinal(t, r, 150, 451)
			wantData(t, r.data, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
			if took := r.stamps[len(r.stamps)-1].at.Sub(r.sent); took < 60*time.Millisecond {
				t.Fatalf("3 chunks arrived within %v", took)
			}
			wantInfo(t, srv, d.mode, cmd, "reset", 0, 10)
		},
	},
	{
		name:  "corrupt",
		fault: "{corrupt: 50}",
		cmds:  []string{"RETR", "LIST", "NLST", "MLSD", "STOR", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			if isUploadCmd(cmd) {
				data := payload(fileSize)
				r := d.upload(cmdLine(cmd), data, clientTimeout)
				wantFinal(t, r, 150, 226)
				wantStored(t, srv, stored(cmd, corrupted(data, dataSeed, 50)))
				wantInfo(t, srv, d.mode, cmd, "complete", len(data), 0)
				return
			}
			ref := d.reference(srv, cmd)
			r := d.download(cmdLine(cmd), clientTimeout)
			wantFinal(t, r, 150, 226)
			want := corrupted(ref, dataSeed, 50)
			if bytes.Equal(want, ref) {
				t.Fatal("the oracle corrupted nothing")
			}
			wantData(t, r.data, want)
			wantInfo(t, srv, d.mode, cmd, "complete", 0, len(ref))
			if cmd == "RETR" {
				// the file itself is intact, and a second download is
				// corrupted the same way
				if b, _ := srv.ReadFile("/f.bin"); !bytes.Equal(b, ref) {
					t.Fatal("corruption reached the stored file")
				}
				wantData(t, d.download(cmdLine(cmd), clientTimeout).data, want)
			}
		},
	},
	{
		name:  "chunks",
		fault: "{chunk: %d, chunk_delay: 40ms}",
		cmds:  []string{"RETR", "MLSD", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			size := afterFor(cmd)
			if isUploadCmd(cmd) {
				data := payload(fileSize)
				r := d.upload(cmdLine(cmd), data, clientTimeout)
				wantFinal(t, r, 150, 226)
				wantStored(t, srv, data)
				pauses := (fileSize+size-1)/size - 1
				if took := r.finalAt.Sub(r.sent); took < time.Duration(pauses)*40*time.Millisecond {
					t.Fatalf("%d chunks took %v", pauses+1, took)
				}
				return
			}
			ref := d.reference(srv, cmd)
			r := d.download(cmdLine(cmd), clientTimeout)
			wantFinal(t, r, 150, 226)
			wantData(t, r.data, ref)
			pauses := (len(ref)+size-1)/size - 1
			if took := r.stamps[len(r.stamps)-1].at.Sub(r.sent); took < time.Duration(pauses)*40*time.Millisecond {
				t.Fatalf("%d chunks arrived within %v", pauses+1, took)
			}
			// the pauses fall between chunks: the bytes after each chunk
			// boundary arrive well after those before it (most of the
			// time: a busy client may read late)
			seen := 0
			for k := 1; k <= pauses; k++ {
				for i := 1; i < len(r.stamps); i++ {
					if r.stamps[i-1].total <= k*size && r.stamps[i].total > k*size {
						if r.stamps[i].at.Sub(r.stamps[i-1].at) >= 15*time.Millisecond {
							seen++
						}
						break
					}
				}
			}
			if seen*2 < pauses {
				t.Fatalf("only %d of %d chunk boundaries showed a pause", seen, pauses)
			}
		},
	},
	{
		name:  "delay-preliminary",
		fault: "{delay_preliminary: 300ms}",
		cmds:  []string{"RETR", "LIST", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			// the data flows at once; only the 150 is late
			var ref, data []byte
			if isUploadCmd(cmd) {
				data = payload(fileSize)
			} else {
				ref = d.reference(srv, cmd)
			}
			get, _ := d.channel()
			sent := time.Now()
			d.Send("%s", cmdLine(cmd))
			conn, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if data != nil {
				if _, err := conn.Write(data); err != nil {
					t.Fatal(err)
				}
				_ = conn.Close()
			} else {
				got, _, err := readData(conn, clientTimeout)
				if err != nil {
					t.Fatal(err)
				}
				wantData(t, got, ref)
			}
			dataDone := time.Now()
			d.Expect(150)
			prelim := time.Now()
			d.Expect(226)
			if prelim.Sub(sent) < 300*time.Millisecond {
				t.Fatalf("150 after %v, before the 300ms delay", prelim.Sub(sent))
			}
			if data == nil && !dataDone.Before(prelim) {
				t.Fatal("the data waited for the 150")
			}
			if data != nil {
				wantStored(t, srv, data)
			}
		},
	},
	{
		name:  "delay-data",
		fault: "{delay_data: 200ms}",
		cmds:  []string{"RETR", "NLST", "STOR"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			if isUploadCmd(cmd) {
				data := payload(fileSize)
				r := d.upload(cmdLine(cmd), data, clientTimeout)
				wantFinal(t, r, 150, 226)
				wantStored(t, srv, data)
				if took := r.finalAt.Sub(r.sent); took < 200*time.Millisecond {
					t.Fatalf("upload done after %v, before the 200ms delay", took)
				}
				return
			}
			ref := d.reference(srv, cmd)
			r := d.download(cmdLine(cmd), clientTimeout)
			wantFinal(t, r, 150, 226)
			wantData(t, r.data, ref)
			if first := r.stamps[0].at.Sub(r.sent); first < 200*time.Millisecond {
				t.Fatalf("first byte after %v, before the 200ms delay", first)
			}
			if !r.prelimAt.Before(r.stamps[0].at) {
				t.Fatal("the 150 waited for the data")
			}
		},
	},
	{
		name:  "delay-final",
		fault: "{delay_final: 200ms}",
		cmds:  []string{"RETR", "MLSD", "APPE"},
		run: func(t *testing.T, srv *ftptest.Server, d *rawData, cmd string) {
			var r result
			if isUploadCmd(cmd) {
				data := payload(fileSize)
				r = d.upload(cmdLine(cmd), data, clientTimeout)
				wantStored(t, srv, stored(cmd, data))
			} else {
				ref := d.reference(srv, cmd)
				r = d.download(cmdLine(cmd), clientTimeout)
				wantData(t, r.data, ref)
			}
			wantFinal(t, r, 150, 226)
			// Only what holds on any machine, however busy: the 226 comes
			// after the data and at least the delay after the command (when
			// the client notices the data's end depends on the scheduler, so
			// the gap between the two is not checked).
			if !r.finalAt.After(r.doneAt) || r.finalAt.Sub(r.sent) < 200*time.Millisecond {
				t.Fatalf("226 came %v after the data, %v after the command: before the 200ms delay", r.finalAt.Sub(r.doneAt), r.finalAt.Sub(r.sent))
			}
		},
	},
}

// TestDataFaults runs every fault with its commands in every data mode.
func TestDataFaults(t *testing.T) {
	t.Parallel()
	for _, dc := range dataCases {
		for _, cmd := range dc.cmds {
			t.Run(dc.name+"/"+cmd, func(t *testing.T) {
				t.Parallel()
				fault := dc.fault
				if strings.Contains(fault, "%d") {
					fault = fmt.Sprintf(fault, afterFor(cmd))
				}
				when := whenFor(cmd)
				if dc.first {
					when = "{command: " + cmd + "}"
				}
				if dc.step != "" {
					fault += "\n    " + dc.step
				}
				eachMode(t, dataModes, func(t *testing.T, m dmode) {
					srv := dataServer(t, when, fault)
					dc.run(t, srv, rawLogin(t, srv.Addr(), m), cmd)
				})
			})
		}
	}
}

// eachMode runs f as a subtest for each mode, all at once: these tests
// mostly wait (for delays, pauses, timeouts), and parallel subtests would
// run only GOMAXPROCS at a time.
func eachMode(t *testing.T, modes []dmode, f func(t *testing.T, m dmode)) {
	var wg sync.WaitGroup
	for _, m := range modes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(m.String(), func(t *testing.T) { f(t, m) })
		}()
	}
	wg.Wait()
}

func lastUpload(srv *ftptest.Server) server.Upload {
	ups := srv.Uploads()
	if len(ups) == 0 {
		return server.Upload{}
	}
	return ups[len(ups)-1]
}

// TestNoFinalReply: with reply: none the client gets no final reply; the
// transfer is over all the same, and the session goes on: an ABOR finds
// nothing to abort (226 alone), any other command is answered at once.
func TestNoFinalReply(t *testing.T) {
	t.Parallel()
	eachMode(t, dataModes, func(t *testing.T, m dmode) {
		srv := withYAML(t, fmt.Sprintf(`
version: 1
seed: %d
%srules:
  - when: {command: RETR, arg: /f.bin}
    times: 1
    data: {after: 1000, reply: none}
  - when: {command: STOR}
    times: 1
    data: {after: 1000, end: reset, reply: none}
  - when: {command: RETR, arg: /big.bin}
    data: {after: 1000, end: stall, reply: none}
`, dataSeed, dataFiles(true)), ftptest.WithConfig(func(c *server.Config) { c.DataTimeout = dataTimeout }))
		ref, _ := srv.ReadFile("/f.bin")
		big, _ := srv.ReadFile("/big.bin")
		d := rawLogin(t, srv.Addr(), m)

		r := d.download("RETR /f.bin", quiet)
		wantFinal(t, r, 150, 0)
		wantData(t, r.data, ref[:1000])
		d.Cmd(257, "PWD") // answered at once: nothing is pending
		d.Send("ABOR")
		d.Expect(226) // nothing to abort
		d.usable()
		wantInfo(t, srv, m, "RETR", "cut", 0, 1000)
		r = d.download("RETR /f.bin", clientTimeout) // the rule ran out
		wantFinal(t, r, 150, 226)
		wantData(t, r.data, ref)

		data := payload(fileSize)
		r = d.upload("STOR /up.bin", data, quiet)
		wantFinal(t, r, 150, 0)
		d.usable()
		wantStored(t, srv, data[:1000])

		// a stalled transfer: ABOR gets only its own 226
		get, _ := d.channel()
		d.Send("RETR /big.bin")
		d.Expect(150)
		conn, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if got := readStalled(t, conn, 1000); !bytes.Equal(got, big[:1000]) {
			t.Fatalf("stalled after %d bytes", len(got))
		}
		d.Send("ABOR")
		d.Expect(226)
		d.usable()
		wantInfo(t, srv, m, "RETR", "stalled", 0, 1000)
	})
}

// TestAbortDuringThrottledTransfer: ABOR ends a slow transfer with 426 and
// 226 in every mode (in active mode the real server is done long before
// the relay, which the engine ends itself).
func TestAbortDuringThrottledTransfer(t *testing.T) {
	t.Parallel()
	eachMode(t, dataModes, func(t *testing.T, m dmode) {
		srv := dataServer(t, "{command: RETR}", "{rate: 20000}")
		ref, _ := srv.ReadFile("/f.bin")
		d := rawLogin(t, srv.Addr(), m)
		get, _ := d.channel()
		d.Send("RETR /f.bin")
		d.Expect(150)
		conn, err := get()
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
		got := make([]byte, 1000)
		if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, ref[:1000]) {
			t.Fatalf("first bytes: %v", err)
		}
		if m.verb == "PASV" || m.verb == "EPSV" {
			// (in active mode the real server is done and its replies wait for the relay)
			if msg := d.Cmd(211, "STAT"); !strings.Contains(msg, "Transfer connection open") {
				t.Fatalf("STAT: %q", msg)
			}
		}
		d.Send("ABOR")
		d.Expect(426)
		d.Expect(226)
		d.usable()
		info := transferInfo(t, srv, "RETR")
		if info.End != "aborted" || info.BytesOut < int64(len(got)) || info.BytesOut >= fileSize {
			t.Fatalf("journal %+v", info)
		}
	})
}

// TestActiveConnectFails: the client's PORT address does not answer: 425,
// without a 150, as a real server says.
func TestActiveConnectFails(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(c *server.Config) {
		c.DataTimeout = dataTimeout
		c.AllowForeignDataAddress = true // port 1 is below 1024
	}))
	if err := srv.WriteFile("/f.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(200, "PORT 127,0,0,1,0,1") // tcpmux: nobody listens there (a freed port may be taken again)
	c.Send("RETR /f.txt")
	c.Expect(425)
	c.Cmd(200, "NOOP")
	info := transferInfo(t, srv, "RETR")
	if info.End != "none" || info.Mode != "PORT" {
		t.Fatalf("journal %+v", info)
	}
}

// jlaffaye/ftp clients: passive only.
type jclient struct {
	name string
	dial func(t *testing.T, srv *ftptest.Server) *ftp.ServerConn
	mode dmode
}

var jclients = []jclient{
	{"PASV", func(t *testing.T, srv *ftptest.Server) *ftp.ServerConn {
		return login(t, srv.Addr(), "u", "p", ftp.DialWithDisabledEPSV(true))
	}, dmode{"PASV", false}},
	{"EPSV", func(t *testing.T, srv *ftptest.Server) *ftp.ServerConn {
		return login(t, srv.Addr(), "u", "p")
	}, dmode{"EPSV", false}},
	{"EPSV+TLS", func(t *testing.T, srv *ftptest.Server) *ftp.ServerConn {
		c := dialTLS(t, srv.Addr(), true, srv)
		if err := c.Login("u", "p"); err != nil {
			t.Fatal(err)
		}
		return c
	}, dmode{"EPSV", true}},
}

// jretr downloads with jlaffaye/ftp: the bytes, the read's error and the
// final reply's error apart.
func jretr(c *ftp.ServerConn, path string) ([]byte, error, error) {
	r, err := c.Retr(path)
	if err != nil {
		return nil, nil, err
	}
	_ = r.SetDeadline(time.Now().Add(clientTimeout))
	b, rerr := io.ReadAll(r)
	return b, rerr, r.Close()
}

// TestDataFaultsJlaffaye checks what jlaffaye/ftp reports for each fault.
func TestDataFaultsJlaffaye(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, cmd, fault string
		run              func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode)
	}{
		{"cut-426", "RETR", "{after: 10000}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			ref, _ := srv.ReadFile("/f.bin")
			b, rerr, cerr := jretr(c, "/f.bin")
			wantData(t, b, ref[:10000])
			if !m.tls && rerr != nil {
				t.Fatalf("read: %v", rerr)
			}
			wantCode(t, cerr, 426, "Connection closed; transfer aborted.")
			wantInfo(t, srv, m, "RETR", "cut", 0, 10000)
		}},
		{"reset-451", "RETR", `{after: 10000, end: reset, reply: "451 Local error in processing"}`, func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			ref, _ := srv.ReadFile("/f.bin")
			b, rerr, cerr := jretr(c, "/f.bin")
			wantData(t, b, ref[:10000])
			if !m.tls && !errors.Is(rerr, syscall.ECONNRESET) {
				t.Fatalf("read: %v, want a reset", rerr)
			}
			wantCode(t, cerr, 451, "Local error in processing")
			wantInfo(t, srv, m, "RETR", "reset", 0, 10000)
		}},
		{"disk-full-452", "STOR", `{after: 10000, reply: "452 Insufficient storage space in system", keep_partial: false}`, func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			wantCode(t, c.Stor("/up.bin", bytes.NewReader(payload(fileSize))), 452, "Insufficient storage space in system")
			wantStored(t, srv, nil)
			wantInfo(t, srv, m, "STOR", "cut", 10000, 0)
		}},
		{"quota-552-append", "APPE", `{after: 10000, end: reset, reply: "552 Exceeded storage allocation"}`, func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			data := payload(fileSize)
			wantCode(t, c.Append("/up.bin", bytes.NewReader(data)), 552, "Exceeded storage allocation")
			wantStored(t, srv, stored("APPE", data[:10000]))
		}},
		{"mlsd-cut", "MLSD", "{after: 1000}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			_, err := c.List("/d") // MLSD, as FEAT offers MLST
			wantCode(t, err, 426, "Connection closed; transfer aborted.")
			wantInfo(t, srv, m, "MLSD", "cut", 0, 1000)
		}},
		{"nlst-corrupt", "NLST", "{corrupt: 1}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			names, err := c.NameList("/d")
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if strings.Contains(n, "a-file-with") {
					t.Fatalf("name %q came through uncorrupted", n)
				}
			}
		}},
		{"refuse-ignore", "RETR", "{refuse: ignore}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			_, _, err := jretr(c, "/f.bin")
			wantCode(t, err, 425, "Can't open data connection.")
			mustNoop(t, c)
		}},
		{"refuse-close", "STOR", "{refuse: close}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			wantCode(t, c.Stor("/up.bin", bytes.NewReader([]byte("x"))), 425, "Can't open data connection.")
			mustNoop(t, c)
		}},
		{"refuse-425", "MLSD", "{refuse: 425}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			_, err := c.List("/d") // MLSD, as FEAT offers it
			wantCode(t, err, 425, "Can't open data connection.")
			wantInfo(t, srv, m, "MLSD", "refused", 0, 0)
			mustNoop(t, c)
		}},
		{"corrupt", "RETR", "{corrupt: 100}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			ref, _ := srv.ReadFile("/f.bin")
			b, rerr, cerr := jretr(c, "/f.bin")
			if rerr != nil || cerr != nil {
				t.Fatal(rerr, cerr)
			}
			wantData(t, b, corrupted(ref, dataSeed, 100))
		}},
		{"corrupt-upload", "STOR", "{corrupt: 100}", func(t *testing.T, srv *ftptest.Server, c *ftp.ServerConn, m dmode) {
			data := payload(fileSize)
			if err := c.Stor("/up.bin", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			wantStored(t, srv, corrupted(data, dataSeed, 100))
		}},
	}
	for _, tt := range cases {
		for _, jc := range jclients {
			t.Run(tt.name+"/"+jc.name, func(t *testing.T) {
				t.Parallel()
				srv := dataServer(t, "{command: "+tt.cmd+"}", tt.fault)
				tt.run(t, srv, jc.dial(t, srv), jc.mode)
			})
		}
	}
}

func mustNoop(t *testing.T, c *ftp.ServerConn) {
	t.Helper()
	if err := c.NoOp(); err != nil {
		t.Fatalf("the session is not usable: %v", err)
	}
}

// Throttling: the achieved rate, measured between the first and the last
// byte, is within 20% of the target over more than a second.

const (
	rate      = 64000
	rateBytes = 80000 // 1.2 s at 64000 B/s
)

func throttleYAML(cmd string) string {
	return fmt.Sprintf("version: 1\nfiles: [{path: /slow.bin, size: %d}]\nrules:\n  - when: {command: %s}\n    data: {rate: %d}\n", rateBytes, cmd, rate)
}

// measured is the rate between the first and the last piece, not counting
// the first piece (it was sent at the start of the measure).
func measured(t *testing.T, stamps []stamp) float64 {
	t.Helper()
	if len(stamps) < 2 {
		t.Fatalf("%d pieces", len(stamps))
	}
	first, last := stamps[0], stamps[len(stamps)-1]
	elapsed := last.at.Sub(first.at)
	if elapsed < time.Second {
		t.Fatalf("the transfer took %v, want over a second", elapsed)
	}
	return float64(last.total-first.total) / elapsed.Seconds()
}

func wantRate(t *testing.T, what string, got float64) {
	t.Helper()
	t.Logf("%s: %.0f B/s (target %d)", what, got, rate)
	if got < rate*0.8 || got > rate*1.2 {
		t.Fatalf("%s: %.0f B/s, want %d ± 20%%", what, got, rate)
	}
}

func TestThrottleDownload(t *testing.T) {
	t.Parallel()
	for _, m := range []dmode{{"PASV", false}, {"EPRT", false}, {"PORT", true}} {
		t.Run("raw/"+m.String(), func(t *testing.T) {
			t.Parallel()
			srv := withYAML(t, throttleYAML("RETR"))
			d := rawLogin(t, srv.Addr(), m)
			r := d.download("RETR /slow.bin", clientTimeout)
			wantFinal(t, r, 150, 226)
			if len(r.data) != rateBytes {
				t.Fatalf("%d bytes", len(r.data))
			}
			wantRate(t, "RETR "+m.String(), measured(t, r.stamps))
		})
	}
	for _, jc := range jclients[1:] {
		t.Run("jlaffaye/"+jc.name, func(t *testing.T) {
			t.Parallel()
			srv := withYAML(t, throttleYAML("RETR"))
			c := jc.dial(t, srv)
			resp, err := c.Retr("/slow.bin")
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.SetDeadline(time.Now().Add(clientTimeout))
			var stamps []stamp
			buf := make([]byte, 64<<10)
			total := 0
			for {
				n, err := resp.Read(buf)
				if n > 0 {
					total += n
					stamps = append(stamps, stamp{time.Now(), total})
				}
				if err != nil {
					break
				}
			}
			if err := resp.Close(); err != nil || total != rateBytes {
				t.Fatalf("%d bytes, %v", total, err)
			}
			wantRate(t, "RETR "+jc.name, measured(t, stamps))
		})
	}
}

// timedFs notes when each write reaches the filesystem: the upload rate
// as the server achieves it (the client's writes go into socket buffers).
type timedFs struct {
	afero.Fs
	mu     sync.Mutex
	stamps []stamp
	total  int
}

func (f *timedFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	file, err := f.Fs.OpenFile(name, flag, perm)
	if err != nil || flag&(os.O_WRONLY|os.O_RDWR) == 0 || name != "/up.bin" {
		return file, err
	}
	return &timedFile{File: file, fs: f}, nil
}

func (f *timedFs) Create(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

type timedFile struct {
	afero.File
	fs *timedFs
}

func (f *timedFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.fs.mu.Lock()
	f.fs.total += n
	f.fs.stamps = append(f.fs.stamps, stamp{time.Now(), f.fs.total})
	f.fs.mu.Unlock()
	return n, err
}

func TestThrottleUpload(t *testing.T) {
	t.Parallel()
	for _, m := range []dmode{{"EPSV", false}, {"PORT", false}, {"PASV", true}} {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			fs := &timedFs{Fs: afero.NewMemMapFs()}
			srv := withYAML(t, throttleYAML("STOR"), ftptest.WithConfig(func(c *server.Config) { c.Fs = fs }))
			d := rawLogin(t, srv.Addr(), m)
			data := payload(rateBytes)
			r := d.upload("STOR /up.bin", data, clientTimeout)
			wantFinal(t, r, 150, 226)
			wantStored(t, srv, data)
			fs.mu.Lock()
			stamps := fs.stamps
			fs.mu.Unlock()
			wantRate(t, "STOR "+m.String(), measured(t, stamps))
		})
	}
}

// TestAdvertisedAddress: a wrong host in the 227 reply (a NAT bug) or a
// port nobody listens on.
func TestAdvertisedAddress(t *testing.T) {
	t.Parallel()
	dead, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := dead.Addr().(*net.TCPAddr).Port
	_ = dead.Close()
	srv := withYAML(t, fmt.Sprintf(`
version: 1
files: [{path: /f.txt, content: reached}]
rules:
  - when: {command: PASV, user: nat}
    data: {advertise_host: 10.255.255.1}
  - when: {command: [PASV, EPSV], user: deadport}
    data: {advertise_port: %d}
`, deadPort))

	// a raw client believes the 227: it cannot connect
	c := rawDial(t, srv.Addr())
	c.Login("nat", "p")
	msg := c.Cmd(227, "PASV")
	if !strings.Contains(msg, "(10,255,255,1,") {
		t.Fatalf("227 %q", msg)
	}
	// (no client dials 10.255.255.1: tests send traffic to loopback only)
	c.Cmd(200, "NOOP")

	// jlaffaye/ftp ignores the 227 host by default and uses the control
	// connection's: the NAT bug does not affect it
	jc := login(t, srv.Addr(), "nat", "p", ftp.DialWithDisabledEPSV(true))
	if got, err := retr(jc, "/f.txt", 0); err != nil || string(got) != "reached" {
		t.Fatalf("jlaffaye/ftp with the wrong 227 host: %q, %v", got, err)
	}

	// a wrong port, in 227 and in 229: jlaffaye/ftp uses it and fails
	for _, opts := range [][]ftp.DialOption{{ftp.DialWithDisabledEPSV(true)}, nil} {
		jc := login(t, srv.Addr(), "deadport", "p", opts...)
		if _, err := retr(jc, "/f.txt", 0); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("advertised dead port: %v, want connection refused", err)
		}
		mustNoop(t, jc)
	}
}

// TestAbortRefusedConnection: ABOR ends the wait for a data connection
// the scenario ignores, in passive mode (where the real server is stuck
// accepting it) as in active mode, long before the data timeout.
func TestAbortRefusedConnection(t *testing.T) {
	t.Parallel()
	for _, m := range []dmode{{"PASV", false}, {"EPRT", true}} {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			srv := withYAML(t, "version: 1\nfiles: [{path: /f.txt, content: x}]\nrules:\n  - when: {command: RETR}\n    data: {refuse: ignore}\n")
			d := rawLogin(t, srv.Addr(), m)
			d.channel()
			start := time.Now()
			d.Send("RETR /f.txt")
			d.noReply()
			d.Send("ABOR")
			d.Expect(425)
			d.Expect(226)
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("ABOR took %v", took)
			}
			d.usable()
			wantInfo(t, srv, m, "RETR", "refused", 0, 0)
		})
	}
}

// TestTransferEndsWithoutFaults: the journal's End for transfers no rule
// touched: complete, none (no data connection), failed (the client went
// away mid-transfer), aborted (ABOR).
func TestTransferEndsWithoutFaults(t *testing.T) {
	t.Parallel()
	eachMode(t, []dmode{{"EPSV", false}, {"PORT", true}}, func(t *testing.T, m dmode) {
		srv := withYAML(t, "version: 1\nfiles: [{path: /big.bin, size: 4MiB}, {path: /small.txt, content: hello}]\n")
		d := rawLogin(t, srv.Addr(), m)

		r := d.download("RETR /small.txt", clientTimeout)
		wantFinal(t, r, 150, 226)
		wantInfo(t, srv, m, "RETR", "complete", 0, 5)

		_, ln := d.channel()
		d.Cmd(550, "RETR /missing.txt")
		wantInfo(t, srv, m, "RETR", "none", 0, 0)
		if ln != nil {
			_ = ln.Close()
		}

		// the client reads a little and drops the data connection
		get, _ := d.channel()
		d.Send("RETR /big.bin")
		d.Expect(150)
		conn, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		if tc, ok := conn.(*tls.Conn); ok {
			conn = tc.NetConn()
		}
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
		if code, msg, _ := d.reply(clientTimeout); code < 400 {
			t.Fatalf("after the client dropped the data connection: %d %q", code, msg)
		}
		if info := transferInfo(t, srv, "RETR"); info.End != "failed" || info.BytesOut < 1000 || info.BytesOut >= 4<<20 {
			t.Fatalf("journal %+v", info)
		}
		d.usable()

		// the client sends a little and resets the data connection
		get, _ = d.channel()
		d.Send("STOR /up.bin")
		d.Expect(150)
		if conn, err = get(); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(payload(1000)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // let the bytes arrive before the RST
		if tc, ok := conn.(*tls.Conn); ok {
			conn = tc.NetConn()
		}
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
		if code, msg, _ := d.reply(clientTimeout); code < 400 {
			t.Fatalf("after the client reset the upload: %d %q", code, msg)
		}
		if info := transferInfo(t, srv, "STOR"); info.End != "failed" || info.BytesIn != 1000 {
			t.Fatalf("journal %+v", info)
		}
		if u := lastUpload(srv); u.Complete {
			t.Fatalf("upload record %+v", u)
		}
		d.usable()
	})
}

// TestScriptedErrorClosesData: a transfer command the engine answers with
// an error itself (a scripted reply, refuse: 425) never opens its data
// connection, so the one the client already opened in passive mode is
// closed at once (a FIN), as ProFTPD and pure-ftpd do; the next transfer
// works. In active mode there is nothing to close: the server never dials.
func TestScriptedErrorClosesData(t *testing.T) {
	t.Parallel()
	rules := map[string]string{
		"reply":      `{when: {command: RETR, nth: 1}, reply: "550 No such file"}`,
		"refuse 425": `{when: {command: RETR, nth: 1}, data: {refuse: "425"}}`,
	}
	for name, rule := range rules {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, dataModes, func(t *testing.T, m dmode) {
				srv := withYAML(t, "version: 1\nfiles: [{path: /f.bin, content: hello}]\nrules: ["+rule+"]\n")
				d := rawLogin(t, srv.Addr(), m)
				get, ln := d.channel()
				d.Send("RETR /f.bin")
				if code, msg, _ := d.reply(clientTimeout); code != 550 && code != 425 {
					t.Fatalf("got %d %q", code, msg)
				}
				if ln != nil {
					_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(quiet))
					if c, err := ln.Accept(); err == nil {
						_ = c.Close()
						t.Fatal("the server connected to the client")
					}
				} else {
					conn, _ := get()
					raw := conn
					if tc, ok := conn.(*tls.Conn); ok {
						raw = tc.NetConn()
					}
					_ = raw.SetReadDeadline(time.Now().Add(time.Second))
					if n, err := raw.Read(make([]byte, 1)); err != io.EOF {
						t.Fatalf("the data connection gave %d bytes, %v; want it closed (EOF)", n, err)
					}
				}
				r := d.download("RETR /f.bin", clientTimeout)
				wantFinal(t, r, 150, 226)
				wantData(t, r.data, []byte("hello"))
			})
		})
	}
}
