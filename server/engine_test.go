package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// withYAML starts a server on a scenario given inline, offering explicit
// FTPS (AUTH TLS) as most engine tests use it (the default is plain FTP).
func withYAML(t *testing.T, y string, opts ...ftptest.Option) *ftptest.Server {
	t.Helper()
	return ftptest.New(t, append([]ftptest.Option{ftptest.WithScenarioText(y), ftptest.WithTLS(server.TLSExplicit)}, opts...)...)
}

// stalledRetr starts a server whose RETR of /big.bin (10 MiB) stalls after
// the given number of bytes, logs a raw client in (TYPE I) and opens its
// passive data connection, which the test's end closes.
func stalledRetr(t *testing.T, after int, opts ...ftptest.Option) (*ftptest.Server, *tc.Raw, net.Conn) {
	t.Helper()
	srv := withYAML(t, fmt.Sprintf(`
version: 1
files: [{path: /big.bin, size: 10MiB}]
rules:
  - when: {command: RETR}
    data: {after: %d, end: stall}
`, after), opts...)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(200, "TYPE I")
	dc, err := deadlineDial("tcp", pasvAddr(t, c.Cmd(227, "PASV")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	return srv, c, dc
}

func TestSecondStorGets452(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: STOR, nth: 2, count: global}
    reply: 452 Insufficient storage space
`)
	c := login(t, srv.Addr(), "u", "p")
	if err := c.Stor("/1", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Stor("/2", strings.NewReader("two")), 452, "Insufficient storage space")
	// the control connection is still usable and the third works
	if err := c.Stor("/3", strings.NewReader("three")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ReadFile("/2"); !os.IsNotExist(err) {
		t.Fatalf("the refused upload was stored: %v", err)
	}
	// a second session: the count is global, so its STOR works
	c2 := login(t, srv.Addr(), "u", "p")
	if err := c2.Stor("/4", strings.NewReader("four")); err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, e := range srv.Journal() {
		if e.Command == "STOR" {
			rules = append(rules, e.Rule)
		}
	}
	if len(rules) != 4 || rules[1] == "" || rules[0] != "" || rules[2] != "" {
		t.Fatalf("journal rules for STOR = %q", rules)
	}
}

func TestNthPerSession(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithScenario(scenario.New("per-session").
		Rule(scenario.On("MKD").Nth(2).Reply(550, "second MKD of the session"))))
	for range 2 {
		c := login(t, srv.Addr(), "u", "p")
		if err := c.MakeDir(fmt.Sprintf("/a%d", time.Now().UnixNano())); err != nil {
			t.Fatal(err)
		}
		wantCode(t, c.MakeDir("/b"), 550, "second MKD of the session")
	}
}

func TestGreetingScripts(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {event: connect, session: 1}
    reply: ["120 Service ready in 1 minute", "220 Ready now"]
  - when: {event: connect, session: 3}
    reply: 421 Too many users
    then: close
`)
	c := rawDial(t, srv.Addr())
	if msg := c.Expect(120); msg != "Service ready in 1 minute" {
		t.Fatalf("120 text %q", msg)
	}
	c.Expect(220)
	c.Cmd(331, "USER a")
	c.Cmd(230, "PASS b") // the real server greeted silently: the session works
	c.Cmd(257, "PWD")

	c2 := rawDial(t, srv.Addr())
	c2.Expect(220) // the real greeting
	c3 := rawDial(t, srv.Addr())
	c3.Expect(421)
	if _, _, err := c3.Read(); err == nil {
		t.Fatal("the 421 connection stayed open")
	}
}

func TestLoginScripts(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
users: [{name: alice, password: right}]
rules:
  - when: {command: PASS, user: bob}
    reply: 530 Not logged in
    then: close
  - when: {command: USER, user: "*", arg: root}
    reply: 230 Welcome, no password needed
  - when: {command: PASS, user: carol}
    reply: 230 Any password will do
`)
	c := dial(t, srv.Addr())
	wantCode(t, c.Login("bob", "x"), 530, "Not logged in")

	// 230 to USER: the session is logged in for real and can work
	c = login(t, srv.Addr(), "root", "")
	if err := c.MakeDir("/by-root"); err != nil {
		t.Fatalf("after a scripted 230 to USER: %v", err)
	}
	// 230 to a PASS the real server would refuse (carol is not a user)
	c = login(t, srv.Addr(), "carol", "wrong")
	if _, err := c.List("/"); err != nil {
		t.Fatalf("after a scripted 230 to PASS: %v", err)
	}
	// alice is not scripted: the real check applies
	c = dial(t, srv.Addr())
	wantCode(t, c.Login("alice", "wrong"), 530, "")
	login(t, srv.Addr(), "alice", "right")
}

func TestArgUserAndCommandMatching(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: [DELE, RMD], arg: /keep}
    reply: 550 Protected
  - when: {command: STOR, arg: {glob: "/out/*.csv"}}
    reply: 553 No CSV please
  - when: {command: RNTO, arg: {regex: "\\.exe$"}}
    reply: 553 File name not allowed
  - when: {command: MKD, user: "adm*"}
    reply: 550 Admins cannot MKD
  - when: {command: "*", arg: /everything-fails}
    reply: 451 Local error
`)
	if err := srv.WriteFile("/keep", []byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteFile("/a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	c := login(t, srv.Addr(), "user", "p")
	wantCode(t, c.Delete("/keep"), 550, "Protected")
	wantCode(t, c.RemoveDir("/keep"), 550, "Protected")
	if err := c.MakeDir("/out"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Stor("/out/x.csv", strings.NewReader("1,2")), 553, "No CSV please")
	if err := c.Stor("/out/x.txt", strings.NewReader("ok")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Rename("/a.txt", "/a.exe"), 553, "File name not allowed")
	if err := c.Rename("/a.txt", "/b.txt"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.ChangeDir("/everything-fails"), 451, "Local error")
	if err := c.MakeDir("/user-made"); err != nil {
		t.Fatal(err)
	}
	admin := login(t, srv.Addr(), "admin", "p")
	wantCode(t, admin.MakeDir("/admin-made"), 550, "Admins cannot MKD")
}

func TestResponsesInTurn(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
files: [{path: /busy.txt, content: "finally\n"}]
rules:
  - when: {command: RETR}
    responses:
      - reply: 450 File busy
      - reply: 450 Still busy
      - pass: true
    exhausted: pass
  - when: {command: SIZE}
    responses:
      - reply: 550 one
      - reply: 550 two
    exhausted: cycle
`)
	c := login(t, srv.Addr(), "u", "p")
	_, err := retr(c, "/busy.txt", 0)
	wantCode(t, err, 450, "File busy")
	_, err = retr(c, "/busy.txt", 0)
	wantCode(t, err, 450, "Still busy")
	for range 2 { // the list ran out: the real server answers from now on
		got, err := retr(c, "/busy.txt", 0)
		if err != nil || string(got) != "finally\n" {
			t.Fatalf("third RETR: %q, %v", got, err)
		}
	}
	for _, want := range []string{"one", "two", "one", "two"} {
		_, err := c.FileSize("/busy.txt")
		wantCode(t, err, 550, want)
	}
}

func TestTimesAndState(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: "*", state: down}
    reply: 421 Service not available, closing control connection
    then: close
  - when: {command: MKD}
    times: 1
    next_state: down
`)
	c := login(t, srv.Addr(), "u", "p")
	if err := c.MakeDir("/d"); err != nil { // passes, and moves the state
		t.Fatal(err)
	}
	if srv.State() != "down" {
		t.Fatalf("state = %q", srv.State())
	}
	wantCode(t, c.NoOp(), 421, "")
	if err := c.NoOp(); err == nil {
		t.Fatal("the connection stayed open after 421")
	}
	srv.SetState("")
	c2 := login(t, srv.Addr(), "u", "p")
	if err := c2.MakeDir("/e"); err != nil { // times: 1 is spent, state stays
		t.Fatal(err)
	}
	if srv.State() != "" {
		t.Fatalf("state moved again: %q", srv.State())
	}
}

func TestProbabilityIsReproducible(t *testing.T) {
	t.Parallel()
	run := func() string {
		srv := withYAML(t, `
version: 1
seed: 7
rules:
  - when: {command: NOOP, probability: 0.5}
    reply: 500 unlucky
`)
		c := login(t, srv.Addr(), "u", "p")
		var b strings.Builder
		for range 40 {
			if c.NoOp() != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different outcomes:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("probability 0.5 gave %s", a)
	}
}

func TestRepliesOfEveryShape(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: HELP}
    reply: {code: 214, text: "The following commands are recognized.\n USER PASS\nHelp OK."}
  - when: {command: SITE, arg: RAW}
    reply: {raw: "200 raw \u00e9 bytes\r\n"}
  - when: {command: SITE, arg: NOTEXT}
    reply: 452
  - when: {command: SITE, arg: ODD}
    reply: 699 Something non-standard
`)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	if msg := c.Cmd(214, "HELP"); msg != "The following commands are recognized.\n USER PASS\nHelp OK." {
		t.Fatalf("multi-line reply arrived as %q", msg)
	}
	if msg := c.Cmd(200, "SITE RAW"); msg != "raw é bytes" {
		t.Fatalf("raw reply arrived as %q", msg)
	}
	if msg := c.Cmd(452, "SITE NOTEXT"); msg == "" {
		t.Fatal("a code without text got no default text")
	}
	c.Cmd(699, "SITE ODD")
	c.Cmd(257, "PWD")
}

func TestMalformedRawReply(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: NOOP}
    reply: {raw: "20"}
    then: close
`)
	conn, err := deadlineDial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 512)
	n, _ := conn.Read(b) // greeting
	if !bytes.HasPrefix(b[:n], []byte("220 ")) {
		t.Fatalf("greeting %q", b[:n])
	}
	_, _ = conn.Write([]byte("NOOP\r\n"))
	all, _ := io.ReadAll(conn)
	if string(all) != "20" {
		t.Fatalf("raw bytes arrived as %q", all)
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: [LIST, MLSD]}
    delay: 300ms
  - when: {command: NOOP}
    delay: {min: 100ms, max: 200ms}
    reply: 200 late
`)
	c := login(t, srv.Addr(), "u", "p")
	start := time.Now()
	if _, err := c.List("/"); err != nil { // delayed, then passed on
		t.Fatal(err)
	}
	if d := time.Since(start); d < 280*time.Millisecond { // a margin for scheduling
		t.Fatalf("LIST answered after %v, before the 300ms delay", d)
	}
	start = time.Now()
	if err := c.NoOp(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("NOOP answered after %v, before the 100ms minimum", d)
	}
}

func TestPassWithRewrittenReplies(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
files: [{path: /f.txt, content: "data still flows"}]
rules:
  - when: {command: RETR}
    pass: true
    preliminary: 125 Data connection already open; transfer starting
  - when: {command: STOR}
    pass: true
    final: 451 Local error in processing
`)
	c := login(t, srv.Addr(), "u", "p")
	got, err := retr(c, "/f.txt", 0)
	if err != nil || string(got) != "data still flows" {
		t.Fatalf("RETR with 125: %q, %v", got, err)
	}
	e, _ := srv.WaitCommand("RETR", "", time.Second)
	if len(e.Codes) != 2 || e.Codes[0] != 125 || e.Codes[1] != 226 {
		t.Fatalf("RETR replies %v", e.Codes)
	}
	err = c.Stor("/up.txt", strings.NewReader("really stored"))
	wantCode(t, err, 451, "Local error in processing")
	if b, _ := srv.ReadFile("/up.txt"); string(b) != "really stored" {
		t.Fatalf("the transfer did not really happen: %q", b)
	}
}

func TestConnectionEnds(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: SITE, arg: CLOSE}
    then: close
  - when: {command: SITE, arg: RESET}
    then: reset
  - when: {command: SITE, arg: STALL}
    then: stall
  - when: {command: SITE, arg: BYE}
    reply: 421 Bye
    then: close
`)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Send("SITE CLOSE")
	if _, _, err := c.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("close without reply: %v, want EOF", err)
	}

	c = rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Send("SITE RESET")
	if _, _, err := c.Read(); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reset: %v, want connection reset", err)
	}

	c = rawDial(t, srv.Addr())
	c.Login("u", "p")
	_ = c.Conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	c.Send("SITE STALL")
	var ne net.Error
	if _, _, err := c.Read(); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("stall: %v, want a timeout", err)
	}

	c = rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(421, "SITE BYE")
	if _, _, err := c.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("after 421: %v, want EOF", err)
	}
}

// TestPipelinedOrder sends commands in one write: scripted replies must not
// overtake replies the real server still owes.
func TestPipelinedOrder(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
files: [{path: /f.bin, size: 200000}]
rules:
  - when: {command: NOOP}
    reply: 299 scripted noop
  - when: {command: STOR}
    reply: 452 Insufficient storage space
`)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	msg := c.Cmd(227, "PASV")
	dc, err := deadlineDial("tcp", pasvAddr(t, msg))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Conn.Write([]byte("TYPE I\r\nRETR /f.bin\r\nNOOP\r\nPWD\r\nSTOR /x\r\nSYST\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Expect(200)
	c.Expect(150)
	data, err := io.ReadAll(dc)
	if err != nil || len(data) != 200000 {
		t.Fatalf("data %d bytes, %v", len(data), err)
	}
	c.Expect(226)
	c.Expect(299)
	c.Expect(257)
	c.Expect(452)
	c.Expect(215)
}

func TestManyPipelinedCommands(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: NOOP, nth: 500}
    reply: 299 the 500th
`)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	var b bytes.Buffer
	for range 2000 {
		b.WriteString("NOOP\r\n")
	}
	go func() { _, _ = c.Conn.Write(b.Bytes()) }()
	for i := 1; i <= 2000; i++ {
		want := 200
		if i == 500 {
			want = 299
		}
		c.Expect(want)
	}
}

func TestABORAndSTATDuringTransfer(t *testing.T) {
	t.Parallel()
	srv, c, dc := stalledRetr(t, 100000)
	c.Send("RETR /big.bin")
	c.Expect(150)
	got := 0
	buf := make([]byte, 32<<10)
	for got < 100000 {
		n, err := dc.Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", got, err)
		}
		got += n
	}
	// the transfer is stalled: STAT answers at once, ABOR ends it
	if msg := c.Cmd(211, "STAT"); !strings.Contains(msg, "Transfer connection open") {
		t.Fatalf("STAT during the transfer: %q", msg)
	}
	c.Send("ABOR")
	code, _, err := c.Read()
	if err != nil || (code != 426 && code != 451) {
		t.Fatalf("transfer's reply after ABOR: %d %v", code, err)
	}
	c.Expect(226)
	c.Cmd(257, "PWD")
	e, _ := srv.WaitCommand("RETR", "", time.Second)
	if e.Transfer == nil || e.Transfer.BytesOut != 100000 || e.Transfer.End != "stalled" {
		t.Fatalf("journal transfer = %+v", e.Transfer)
	}
}

func TestScriptedRepliesOnTLS(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: STOR, nth: 1}
    reply: 452 Insufficient storage space
  - when: {command: PWD}
    reply: 257 "/scripted" is the current directory
`)
	c := dialTLS(t, srv.Addr(), true, srv)
	if err := c.Login("u", "p"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Stor("/a", strings.NewReader("x")), 452, "Insufficient storage space")
	if d, err := c.CurrentDir(); err != nil || d != "/scripted" {
		t.Fatalf("PWD on TLS = %q, %v", d, err)
	}
	if err := c.Stor("/b", strings.NewReader("over TLS")); err != nil {
		t.Fatal(err)
	}
	if b, _ := srv.ReadFile("/b"); string(b) != "over TLS" {
		t.Fatalf("stored %q", b)
	}
}

func TestScriptedAUTH(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: AUTH, session: 1}
    reply: 534 Request denied for policy reasons
  - when: {command: AUTH, session: 2}
    reply: 431 Need some unavailable resource
`)
	for _, code := range []int{534, 431} {
		c := rawDial(t, srv.Addr())
		c.Expect(220)
		c.Cmd(code, "AUTH TLS")
		c.Cmd(331, "USER u") // the session goes on in clear
		c.Cmd(230, "PASS p")
	}
	// session 3: not scripted, TLS works
	c := dialTLS(t, srv.Addr(), true, srv)
	if err := c.Login("u", "p"); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsFromScenario(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
files: [{path: /f.txt, content: hello}]
settings:
  banner: Custom banner
  syst: Windows_NT
  disable: [EPSV, MLSD, MLST, MDTM]
`)
	c := rawDial(t, srv.Addr())
	if msg := c.Expect(220); msg != "Custom banner" {
		t.Fatalf("banner %q", msg)
	}
	c.Cmd(331, "USER u")
	c.Cmd(230, "PASS p")
	if msg := c.Cmd(215, "SYST"); msg != "Windows_NT" {
		t.Fatalf("SYST %q", msg)
	}
	feat := c.Cmd(211, "FEAT")
	for _, gone := range []string{"EPSV", "MLSD", "MLST", "MDTM"} {
		if strings.Contains(feat, gone) {
			t.Fatalf("FEAT still lists %s:\n%s", gone, feat)
		}
	}
	c.Cmd(502, "EPSV")
	c.Cmd(502, "MLSD")
	// jlaffaye/ftp falls back to PASV and LIST
	jc := login(t, srv.Addr(), "u", "p")
	got, err := retr(jc, "/f.txt", 0)
	if err != nil || string(got) != "hello" {
		t.Fatalf("after fallback: %q, %v", got, err)
	}
	entries, err := jc.List("/")
	if err != nil || len(entries) != 1 {
		t.Fatalf("LIST fallback: %v, %v", entries, err)
	}
}

func TestFeaturesReplaced(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
settings: {features: [UTF8, SIZE]}
`)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	if msg := c.Cmd(211, "FEAT"); msg != "Features:\n UTF8\n SIZE\nEnd" {
		t.Fatalf("FEAT = %q", msg)
	}
}

func TestScenarioIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
settings: {idle_timeout: 200ms}
`)
	c := login(t, srv.Addr(), "u", "p")
	time.Sleep(400 * time.Millisecond)
	if err := c.NoOp(); err == nil {
		t.Fatal("the session outlived its idle timeout")
	}
}

// TestConcurrentSessionsGlobalCounts: 20 sessions against one scenario;
// global counters give exactly the scripted results.
func TestConcurrentSessionsGlobalCounts(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: STOR}
    times: 5
    reply: 450 Busy
  - when: {command: MKD, nth: 7, count: global}
    reply: 550 The seventh
`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	mkd := map[int]int{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ftp.Dial(srv.Addr(), ftp.DialWithDialFunc(deadlineDial))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Quit()
			if err := c.Login("u", "p"); err != nil {
				t.Error(err)
				return
			}
			code := func(err error) int {
				var te *textproto.Error
				if errors.As(err, &te) {
					return te.Code
				}
				if err != nil {
					t.Error(err)
				}
				return 226
			}
			s := code(c.Stor(fmt.Sprintf("/f%d", i), strings.NewReader("x")))
			m := code(c.MakeDir(fmt.Sprintf("/d%d", i)))
			mu.Lock()
			codes[s]++
			mkd[m]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[450] != 5 || codes[226] != 15 {
		t.Fatalf("STOR outcomes %v, want 5×450 and 15×226", codes)
	}
	if mkd[550] != 1 || mkd[226] != 19 {
		t.Fatalf("MKD outcomes %v, want exactly one 550", mkd)
	}
	files, _ := srv.Fs().Open("/")
	names, _ := files.Readdirnames(-1)
	_ = files.Close()
	if len(names) != 15+19 {
		t.Fatalf("%d entries stored, want 34", len(names))
	}
}

func TestExpectationsReport(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: PASS, user: bob}
    reply: 530 Not logged in
  - when: {command: STOR, arg: /out/report.csv}
    pass: true
expect:
  - {command: STOR, arg: /out/report.csv, times: 1}
  - {command: QUIT}
  - {no_command_after: 530}
`)
	c := login(t, srv.Addr(), "u", "p")
	if err := c.MakeDir("/out"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("/out/report.csv", strings.NewReader("a,b")); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("/out/other.csv", strings.NewReader("a,b")); err != nil {
		t.Fatal(err)
	}
	rep := srv.Verify()
	if rep.OK {
		t.Fatal("QUIT was not sent yet, but the report is OK")
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitCommand("QUIT", "", time.Second); err != nil {
		t.Fatal(err)
	}
	rep = srv.Verify()
	if !rep.OK {
		t.Fatalf("report not OK:\n%s", rep)
	}
	found := false
	for _, nm := range rep.Unmatched {
		if nm.Entry.Arg == "/out/other.csv" {
			found = true
		}
	}
	if !found {
		t.Fatalf("near miss for /out/other.csv not reported: %+v", rep.Unmatched)
	}
	// bob retries after his 530: the expectation breaks
	rc := rawDial(t, srv.Addr())
	rc.Expect(220)
	rc.Cmd(331, "USER bob")
	rc.Cmd(530, "PASS x")
	rc.Cmd(530, "PWD")
	if rep := srv.Verify(); rep.OK {
		t.Fatal("a command after 530 went unnoticed")
	}
}

func TestSetScenarioWhileConnected(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	c := login(t, srv.Addr(), "u", "p")
	if err := c.NoOp(); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("new.yaml", []byte("version: 1\nrules:\n  - when: {command: NOOP}\n    reply: 500 changed\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetScenario(sc); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.NoOp(), 500, "changed")
}

func TestBadScenarioDoesNotStart(t *testing.T) {
	t.Parallel()
	_, err := scenario.Parse("bad.yaml", []byte("version: 1\nrules:\n  - when: {cmd: STOR}\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:3:") {
		t.Fatalf("error %v lacks its location", err)
	}
	bad := &scenario.Scenario{Version: 1, Rules: []scenario.Rule{{When: scenario.Match{Arg: &scenario.ArgMatch{Regex: "("}}}}}
	if srv, err := server.Start(server.Config{Scenario: bad}); err == nil {
		_ = srv.Close()
		t.Fatal("a server started on an invalid scenario")
	}
}

// TestClientLeavesDuringStalledTransfer: a client sends a command while a
// transfer is stalled (the command must wait for the transfer's reply), then
// goes away. The session must end within the data timeout, not live on
// until the server closes.
func TestClientLeavesDuringStalledTransfer(t *testing.T) {
	t.Parallel()
	srv, c, dc := stalledRetr(t, 1000, ftptest.WithConfig(func(cfg *server.Config) { cfg.DataTimeout = 500 * time.Millisecond }))
	c.Send("RETR /big.bin")
	c.Expect(150)
	c.Send("PWD") // waits behind the stalled transfer
	if _, err := srv.WaitCommand("RETR", "", 0); err == nil {
		t.Fatal("the stalled RETR has a final reply")
	}
	_ = dc.Close()
	_ = c.Conn.Close()
	waitSessionsEnd(t, srv, 8*time.Second, "the session outlived its departed client")
}

// TestStallAfterQUIT: the real server answers QUIT (221) and closes its
// end, but the scenario stalls the session: the client's connection stays
// open, ignored, until the client closes it; then the session ends.
func TestStallAfterQUIT(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, `
version: 1
rules:
  - when: {command: QUIT}
    pass: true
    then: stall
`)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(221, "QUIT")
	c.Send("NOOP") // ignored: the session is stalled
	_ = c.Conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var ne net.Error
	if _, _, err := c.Read(); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("after a stalled QUIT: %v, want a timeout (connection held open)", err)
	}
	if n := srv.Sessions(); n != 1 {
		t.Fatalf("%d sessions while the stalled one is held, want 1", n)
	}
	_ = c.Conn.Close()
	waitSessionsEnd(t, srv, 5*time.Second, "the stalled session outlived its client")
}

// TestJournalHasReplyBeforeClient checks that once a client has read a
// reply, the journal already holds the command and that reply, with no
// waiting: relayed, scripted and transfer replies alike.
func TestJournalHasReplyBeforeClient(t *testing.T) {
	t.Parallel()
	sc, err := scenario.Parse("t.yaml", []byte("version: 1\nrules:\n  - when: {command: MKD}\n    reply: 550 scripted\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv := ftptest.New(t, ftptest.WithScenario(sc))
	last := func() journal.Entry {
		t.Helper()
		es := srv.Journal()
		if len(es) == 0 {
			t.Fatal("empty journal")
		}
		return es[len(es)-1]
	}
	check := func(verb string, code int) {
		t.Helper()
		e := last()
		if e.Command != verb || len(e.Codes) == 0 || e.Codes[len(e.Codes)-1] != code || e.Done.IsZero() {
			t.Fatalf("last entry %+v, want %s answered %d", e, verb, code)
		}
	}
	rc := rawDial(t, srv.Addr())
	rc.Expect(220)
	check("<connect>", 220)
	rc.Cmd(331, "USER u")
	check("USER", 331)
	rc.Cmd(230, "PASS p")
	check("PASS", 230)
	for range 200 {
		rc.Cmd(200, "NOOP")
		check("NOOP", 200)
		rc.Cmd(550, "MKD /x")
		check("MKD", 550)
	}
	c := login(t, srv.Addr(), "u", "p")
	for i := range 20 {
		if err := c.Stor(fmt.Sprintf("/f%d", i), strings.NewReader("data")); err != nil {
			t.Fatal(err)
		}
		check("STOR", 226)
	}
}
