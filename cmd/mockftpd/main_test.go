package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"

	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const clientTimeout = testclient.Timeout

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a mockftpd started by a test through serve or runServe.
type running struct {
	srv    *server.Server
	admin  string
	logs   *syncBuffer
	reload chan struct{}
}

func envFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// start runs serve with args (and env) until the test ends.
func start(t *testing.T, args []string, env map[string]string) *running {
	t.Helper()
	logs := &syncBuffer{}
	f := newServeFlags(logs)
	if err := f.parse(args, envFrom(env)); err != nil {
		t.Fatal(err)
	}
	logger, err := newLogger(logs, "text", "info")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{logs: logs, reload: make(chan struct{})}
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- serve(ctx, f, logger, logs, r.reload, func(srv *server.Server, adminAddr string) {
			r.srv, r.admin = srv, adminAddr
			close(ready)
		})
	}()
	select {
	case <-ready:
	case code := <-exit:
		cancel()
		t.Fatalf("mockftpd exited with %d:\n%s", code, logs)
	case <-time.After(clientTimeout):
		cancel()
		t.Fatal("mockftpd did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exit:
			if code != 0 {
				t.Errorf("exit code %d", code)
			}
		case <-time.After(clientTimeout):
			t.Error("mockftpd did not stop")
		}
	})
	return r
}

// waitLog waits until the logs contain s.
func (r *running) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(clientTimeout)
	for !strings.Contains(r.logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the logs:\n%s", s, r.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deadlineDial dials with deadlines: jlaffaye/ftp has no read timeout.
var deadlineDial = testclient.DeadlineDial

func login(t *testing.T, addr string) *ftp.ServerConn {
	t.Helper()
	c, err := ftp.Dial(addr, ftp.DialWithDialFunc(deadlineDial))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Quit() })
	if err := c.Login("anonymous", "x@"); err != nil {
		t.Fatal(err)
	}
	return c
}

func replyCode(err error) int {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return 0
}

func storRule(code int, text string) string {
	return "version: 1\nname: stor " + text + "\nrules:\n  - when: {command: STOR}\n    reply: " + strconv.Itoa(code) + " " + text + "\n"
}

// writeFile replaces a file the way an editor that writes in place does.
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitStor stores through c until the reply code is want.
func waitStor(t *testing.T, c *ftp.ServerConn, want int) {
	t.Helper()
	deadline := time.Now().Add(clientTimeout)
	for {
		err := c.Stor("f.txt", strings.NewReader("data"))
		got := replyCode(err)
		if err == nil {
			got = 226
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("STOR still gets %d (%v), want %d", got, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReloadWhenTheFileChanges(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	writeFile(t, file, storRule(452, "full"))
	r := start(t, []string{"-listen", "127.0.0.1:0", "-scenario", file, "-reload-interval", "50ms"}, nil)
	c := login(t, r.srv.Addr())
	waitStor(t, c, 452)

	writeFile(t, file, storRule(553, "refused"))
	waitStor(t, c, 553) // the session already connected sees the new rules
	r.waitLog(t, "scenario reloaded")

	// A broken file keeps the scenario in force and logs the located error.
	writeFile(t, file, "version: 1\nrules:\n  - whne: {command: STOR}\n")
	r.waitLog(t, "scenario reload failed")
	r.waitLog(t, file+":3:5")
	waitStor(t, c, 553)
	if name := r.srv.Scenario().Name; name != "stor refused" {
		t.Fatalf("scenario in force: %q", name)
	}

	// Removed, then back: kept meanwhile, loaded when back.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	r.waitLog(t, "scenario file missing")
	writeFile(t, file, storRule(551, "gone"))
	waitStor(t, c, 551)
	if n := strings.Count(r.logs.String(), "scenario reload failed"); n != 1 {
		t.Fatalf("%d reload failures logged:\n%s", n, r.logs)
	}
}

func TestReloadKeepsReplyFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	writeFile(t, file, storRule(452, "full"))
	r := start(t, []string{"-listen", "127.0.0.1:0", "-scenario", file, "-reload-interval", "50ms", "-reply", "MKD=550 no dirs"}, nil)
	writeFile(t, file, storRule(553, "refused"))
	c := login(t, r.srv.Addr())
	waitStor(t, c, 553)
	if err := c.MakeDir("d"); replyCode(err) != 550 {
		t.Fatalf("MKD: %v (the -reply rule is lost)", err)
	}
}

func TestReloadOnRequest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	writeFile(t, file, storRule(452, "full"))
	// polling too slow to matter: only the request reloads
	r := start(t, []string{"-listen", "127.0.0.1:0", "-scenario", file, "-reload-interval", "1h"}, nil)
	c := login(t, r.srv.Addr())
	writeFile(t, file, storRule(553, "refused"))
	waitStor(t, c, 452)
	r.reload <- struct{}{}
	waitStor(t, c, 553)
	r.waitLog(t, "SIGHUP: reloading")
}

func TestReloadOnSIGHUP(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGHUP on Windows")
	}
	file := filepath.Join(t.TempDir(), "s.yaml")
	writeFile(t, file, storRule(452, "full"))
	started := make(chan *server.Server, 1)
	testStarted = func(srv *server.Server, _ string) { started <- srv }
	defer func() { testStarted = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- runServe(ctx, []string{"-listen", "127.0.0.1:0", "-scenario", file, "-reload-interval", "1h"}, io.Discard, logs, envFrom(nil))
	}()
	defer func() {
		cancel()
		if code := <-exit; code != 0 {
			t.Errorf("exit code %d:\n%s", code, logs)
		}
	}()
	var srv *server.Server
	select {
	case srv = <-started:
	case code := <-exit:
		exit <- code
		t.Fatalf("exited with %d:\n%s", code, logs)
	}
	c := login(t, srv.Addr())
	waitStor(t, c, 452)
	writeFile(t, file, storRule(553, "refused"))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitStor(t, c, 553)
}

func TestScenarioOptional(t *testing.T) {
	file := filepath.Join(t.TempDir(), "later.yaml")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"-listen", "127.0.0.1:0", "-scenario", file}, io.Discard, &stderr, envFrom(nil)); code != 2 || !strings.Contains(stderr.String(), "later.yaml") {
		t.Fatalf("missing scenario: exit %d: %s", code, stderr.String())
	}
	r := start(t, []string{"-listen", "127.0.0.1:0", "-reload-interval", "50ms"}, map[string]string{
		"MOCKFTPD_SCENARIO": file, "MOCKFTPD_SCENARIO_OPTIONAL": "true",
	})
	r.waitLog(t, "serving without a scenario")
	c := login(t, r.srv.Addr())
	waitStor(t, c, 226)
	writeFile(t, file, storRule(452, "full"))
	waitStor(t, c, 452)
}

func TestAdminAPI(t *testing.T) {
	r := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_ADMIN_TOKEN": "tok"})
	if r.admin == "" {
		t.Fatal("no admin address")
	}
	do := func(method, path, token, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+r.admin+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	defer http.DefaultClient.CloseIdleConnections()
	if code := do("GET", "/api/health", "", ""); code != 200 {
		t.Fatalf("health: %d", code)
	}
	if code := do("PUT", "/api/scenario", "", storRule(452, "full")); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code := do("PUT", "/api/scenario", "tok", storRule(452, "full")); code != 200 {
		t.Fatalf("put: %d", code)
	}
	c := login(t, r.srv.Addr())
	waitStor(t, c, 452)

	// the healthcheck subcommand asks /api/ready
	env := map[string]string{"MOCKFTPD_ADMIN": r.admin, "MOCKFTPD_ADMIN_TOKEN": "tok"}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck"}, &out, &errb, envFrom(env)); code != 0 {
		t.Fatalf("healthcheck: %d %s", code, errb.String())
	}
	// a bare port means loopback
	_, port, _ := net.SplitHostPort(r.admin)
	if code := run(context.Background(), []string{"healthcheck", "-admin", port}, &out, &errb, envFrom(nil)); code != 0 {
		t.Fatalf("healthcheck -admin PORT: %d %s", code, errb.String())
	}
}

func TestAdminNeedsTokenBeyondLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"-listen", "127.0.0.1:0", "-admin", addr}, io.Discard, &stderr, envFrom(nil))
		if code != 2 || !strings.Contains(stderr.String(), "MOCKFTPD_ADMIN_TOKEN") || !strings.Contains(stderr.String(), "loopback") {
			t.Errorf("-admin %s without a token: exit %d: %s", addr, code, stderr.String())
		}
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, "\n")
	for _, args := range [][]string{
		{"-admin", "0.0.0.0:0", "-admin-token-file", empty},
		{"-admin", "127.0.0.1:0", "-admin-token-file", filepath.Join(dir, "missing")},
		{"-admin", "127.0.0.1:0", "-admin-token", "a", "-admin-token-file", empty},
		{"-admin", "nonsense"},
		{"-admin-max-file-size", "lots"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"-listen", "127.0.0.1:0"}, args...), io.Discard, &stderr, envFrom(nil)); code != 2 {
			t.Errorf("%v: exit %d: %s", args, code, stderr.String())
		}
	}
	// a token file works
	tokFile := filepath.Join(dir, "token")
	writeFile(t, tokFile, "from-file\n")
	f := newServeFlags(io.Discard)
	if err := f.parse([]string{"-admin", "8021", "-admin-token-file", tokFile, "-admin-max-file-size", "2MiB"}, envFrom(nil)); err != nil {
		t.Fatal(err)
	}
	addr, opts, err := f.adminOptions(mustLogger(t))
	if err != nil || addr != "127.0.0.1:8021" || opts.Token != "from-file" || opts.MaxFileBytes != 2<<20 {
		t.Fatalf("adminOptions: %q %+v %v", addr, opts, err)
	}
}

func mustLogger(t *testing.T) *slog.Logger {
	l, err := newLogger(io.Discard, "text", "error")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestHealthcheckFTP(t *testing.T) {
	r := start(t, []string{"-listen", "127.0.0.1:0"}, nil)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck"}, &out, &errb, envFrom(map[string]string{"MOCKFTPD_LISTEN": r.srv.Addr()})); code != 0 {
		t.Fatalf("healthcheck: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "220") {
		t.Fatalf("output: %s", out.String())
	}
	// nothing listens on a port just closed
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	_ = ln.Close()
	errb.Reset()
	if code := run(context.Background(), []string{"healthcheck", "-listen", free, "-timeout", "2s"}, &out, &errb, envFrom(nil)); code != 1 {
		t.Fatalf("healthcheck of nothing: %d", code)
	}
	if code := run(context.Background(), []string{"healthcheck", "-admin", free, "-timeout", "2s"}, &out, &errb, envFrom(nil)); code != 1 {
		t.Fatalf("healthcheck of no admin API: %d", code)
	}
}

func TestHealthcheckWrongToken(t *testing.T) {
	r := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-admin-token", "right"}, nil)
	// /api/ready needs no token, so a wrong one does not matter...
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck", "-admin", r.admin, "-admin-token", "wrong"}, &out, &errb, envFrom(nil)); code != 0 {
		t.Fatalf("healthcheck: %d %s", code, errb.String())
	}
	// ...and a server shutting down is not ready
	if err := r.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := run(context.Background(), []string{"healthcheck", "-admin", r.admin}, &out, &errb, envFrom(nil)); code != 1 {
		t.Fatalf("healthcheck after shutdown: %d", code)
	}
}

// TestReloadSeedsNewFiles: a reloaded scenario's files that are not there
// yet are served at once; a file a client changed, or one the new
// scenario also lists, is kept as it is; the log line says so.
func TestReloadSeedsNewFiles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	writeFile(t, file, "version: 1\nfiles:\n  - {path: /old.txt, content: old}\n")
	r := start(t, []string{"-listen", "127.0.0.1:0", "-scenario", file, "-reload-interval", "50ms"}, nil)
	c := login(t, r.srv.Addr())
	if err := c.Stor("/old.txt", strings.NewReader("uploaded")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, file, "version: 1\nfiles:\n  - {path: /old.txt, content: seeded again}\n  - {path: /new/file.txt, content: new}\n")
	r.waitLog(t, "seeded=1 kept=1")
	for path, want := range map[string]string{"/old.txt": "uploaded", "/new/file.txt": "new"} {
		rd, err := c.Retr(path)
		if err != nil {
			t.Fatalf("RETR %s: %v", path, err)
		}
		got, _ := io.ReadAll(rd)
		_ = rd.Close()
		if string(got) != want {
			t.Fatalf("%s: %q, want %q", path, got, want)
		}
	}
}
