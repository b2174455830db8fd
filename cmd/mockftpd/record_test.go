package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/scenario"
)

// recording is a mockftpd record run by a test.
type recording struct {
	addr string
	logs *syncBuffer
	code chan int
	stop context.CancelFunc
}

// startRecord runs mockftpd record with args until it returns.
func startRecord(t *testing.T, args ...string) *recording {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &recording{logs: &syncBuffer{}, code: make(chan int, 1), stop: cancel}
	addr := make(chan string, 1)
	testRecording = func(a string) { addr <- a }
	t.Cleanup(func() { testRecording = nil })
	go func() {
		r.code <- run(ctx, append([]string{"record", "-listen", "127.0.0.1:0"}, args...), &syncBuffer{}, r.logs, envFrom(nil))
	}()
	select {
	case r.addr = <-addr:
	case c := <-r.code:
		t.Fatalf("mockftpd record exited with %d:\n%s", c, r.logs)
	case <-time.After(10 * time.Second):
		t.Fatal("mockftpd record did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.code:
		case <-time.After(10 * time.Second):
			t.Error("mockftpd record did not stop")
		}
	})
	return r
}

func (r *recording) wait(t *testing.T) int {
	t.Helper()
	select {
	case c := <-r.code:
		r.code <- c
		return c
	case <-time.After(15 * time.Second):
		t.Fatalf("mockftpd record still running:\n%s", r.logs)
	}
	return 0
}

// mockftpd record -sessions 1 relays one session, writes a scenario that
// validates, and stops; the scenario replays the session's replies.
func TestRecordCommand(t *testing.T) {
	up := ftptest.New(t)
	if err := up.WriteFile("/pub/a.txt", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "recorded.yaml")
	r := startRecord(t, "-upstream", up.Addr(), "-out", out, "-sessions", "1")

	c := testclient.Login(t, r.addr, "alice", "wonderland")
	if size, err := c.FileSize("/pub/a.txt"); err != nil || size != 6 {
		t.Fatalf("SIZE = %d, %v", size, err)
	}
	if err := c.ChangeDir("/nowhere"); err == nil {
		t.Fatal("CWD /nowhere worked")
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.logs)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Load(out)
	if err != nil {
		t.Fatalf("the recorded scenario does not load: %v\n%s", err, text)
	}
	t.Logf("recorded:\n%s", text)
	if strings.Contains(string(text), "wonderland") {
		t.Errorf("the password was written:\n%s", text)
	}
	srv := ftptest.New(t, ftptest.WithScenario(sc))
	replay := testclient.Login(t, srv.Addr(), "alice", "anything")
	if size, err := replay.FileSize("/pub/a.txt"); err != nil || size != 6 {
		t.Fatalf("replayed SIZE = %d, %v", size, err)
	}
	err = replay.ChangeDir("/nowhere")
	want := upstreamError(t, up.Addr(), "/nowhere")
	testclient.WantReply(t, err, want.code, want.text)
}

type ftpError struct {
	code int
	text string
}

// upstreamError is what the upstream answers CWD dir.
func upstreamError(t *testing.T, addr, dir string) ftpError {
	c := testclient.RawDial(t, addr)
	c.Login("x", "y")
	c.Send("CWD %s", dir)
	code, text, _ := c.Read()
	return ftpError{code, text}
}

// An upstream nobody listens on is a clear error at start.
func TestRecordUnreachableUpstream(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.yaml")
	var logs syncBuffer
	code := run(context.Background(), []string{"record", "-upstream", "127.0.0.1:1", "-out", out}, &syncBuffer{}, &logs, envFrom(nil))
	if code != 1 || !strings.Contains(logs.String(), "cannot reach the upstream server 127.0.0.1:1") {
		t.Fatalf("exit %d: %s", code, logs.String())
	}
}

// An -out that cannot be written is a clear error at start.
func TestRecordUnwritableOut(t *testing.T) {
	up := ftptest.New(t)
	var logs syncBuffer
	out := filepath.Join(t.TempDir(), "missing", "x.yaml")
	code := run(context.Background(), []string{"record", "-upstream", up.Addr(), "-out", out}, &syncBuffer{}, &logs, envFrom(nil))
	if code != 1 || !strings.Contains(logs.String(), "-out: cannot write "+out) {
		t.Fatalf("exit %d: %s", code, logs.String())
	}
}

// Missing and bad flags say what is wrong.
func TestRecordFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", "x.yaml"}, "-upstream HOST:PORT is required"},
		{[]string{"-upstream", "127.0.0.1:21"}, "-out FILE.yaml is required"},
		{[]string{"-upstream", "nowhere", "-out", "x.yaml"}, `-upstream "nowhere": want host:port`},
		{[]string{"-upstream", "127.0.0.1:21", "-out", "x.yaml", "-tls", "none"}, `-tls "none": want explicit or implicit`},
		{[]string{"-upstream", "127.0.0.1:21", "-out", "x.yaml", "-max-file-bytes", "0"}, "must be more than 0"},
	} {
		var logs syncBuffer
		code := run(context.Background(), append([]string{"record"}, tc.args...), &syncBuffer{}, &logs, envFrom(nil))
		if code != 2 || !strings.Contains(logs.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, logs.String(), tc.want)
		}
	}
}

// When -out stops being writable mid-recording, what was recorded goes to
// a rescue file and the error says where; nothing is lost.
func TestRecordOutBecomesUnwritable(t *testing.T) {
	up := ftptest.New(t)
	out := filepath.Join(t.TempDir(), "recorded.yaml")
	r := startRecord(t, "-upstream", up.Addr(), "-out", out, "-sessions", "2")
	c := testclient.Login(t, r.addr, "alice", "x")
	_ = c.Quit()
	waitFor(t, func() bool { _, err := os.Stat(out); return err == nil })
	// -out becomes a folder with something in it: renaming onto it fails
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, "blocker"), 0o755); err != nil {
		t.Fatal(err)
	}
	c = testclient.Login(t, r.addr, "bob", "x")
	_ = c.Quit()
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, r.logs)
	}
	m := regexp.MustCompile(`what was recorded is in (\S+\.yaml)`).FindStringSubmatch(r.logs.String())
	if m == nil {
		t.Fatalf("no rescue file named:\n%s", r.logs)
	}
	defer os.Remove(m[1])
	text, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"alice", "bob"} {
		if !strings.Contains(string(text), "arg: "+user) {
			t.Errorf("the rescue file lacks %s's session:\n%s", user, text)
		}
	}
}

// SIGINT (a cancelled context) stops the recording: a session still
// connected is cut, and the scenario has it.
func TestRecordStopsOnSignal(t *testing.T) {
	up := ftptest.New(t)
	out := filepath.Join(t.TempDir(), "recorded.yaml")
	r := startRecord(t, "-upstream", up.Addr(), "-out", out)
	c := testclient.Login(t, r.addr, "carol", "x")
	if _, err := c.CurrentDir(); err != nil {
		t.Fatal(err)
	}
	r.stop()
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.logs)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "arg: carol") || !strings.Contains(string(text), "command: PWD") {
		t.Fatalf("the cut session is missing:\n%s", text)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
