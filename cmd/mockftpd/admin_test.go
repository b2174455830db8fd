package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// runBriefly runs mockftpd with args and env; a server that starts is
// stopped after a moment (exit 0), so a refusal shows as exit 2.
func runBriefly(t *testing.T, args []string, env map[string]string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	code := run(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), io.Discard, &stderr, envFrom(env))
	return code, stderr.String()
}

func TestAdminTokenMustBeUsable(t *testing.T) {
	dir := t.TempDir()
	blankFile := filepath.Join(dir, "blank")
	writeFile(t, blankFile, "  \n\t\n")
	for _, tc := range []struct {
		args []string
		env  map[string]string
		says string
	}{
		{[]string{"-admin", "127.0.0.1:0", "-admin-token", " "}, nil, "-admin-token (MOCKFTPD_ADMIN_TOKEN) is blank"},
		{[]string{"-admin", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_ADMIN_TOKEN": "   "}, "is blank"},
		{[]string{"-admin", "127.0.0.1:0", "-admin-token", "s3cret "}, nil, "white space"},
		{[]string{"-admin", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_ADMIN_TOKEN": "s3cret\n"}, "white space"},
		{[]string{"-admin", "127.0.0.1:0", "-admin-token", "s3\x01cret"}, nil, "control character"},
		{[]string{"-admin", "127.0.0.1:0", "-admin-token-file", blankFile}, nil, "is empty"},
		{[]string{"-admin", "127.0.0.1:0", "-admin-allow-host", "*"}, nil, "needs an admin token"},
		{[]string{"-admin", "127.0.0.1:0", "-admin-allow-host", "mockftpd:8021"}, nil, "-admin-allow-host (MOCKFTPD_ADMIN_ALLOW_HOST) \"mockftpd:8021\""},
		{[]string{"-admin", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_ADMIN_ALLOW_HOST": "ok, http://x"}, "no scheme"},
		{[]string{"-admin", "127.0.0.1:0", "-admin-max-connections", "0"}, nil, "want 1 or more"},
	} {
		code, stderr := runBriefly(t, tc.args, tc.env)
		if code != 2 || !strings.Contains(stderr, tc.says) {
			t.Errorf("%q %v: exit %d, want 2 saying %q:\n%s", tc.args, tc.env, code, tc.says, stderr)
		}
	}
}

func TestUserFlag(t *testing.T) {
	for _, tc := range []struct {
		in, name, pass, home string
	}{
		{"demo:demo", "demo", "demo", ""},
		{"alice:secret:/alice", "alice", "secret", "/alice"},
		{"carol:pa:ss:/", "carol", "pa:ss", "/"},
		{"dave:a:b:c:/home/dave", "dave", "a:b:c", "/home/dave"},
		{"erin:http://x:/", "erin", "http://x", "/"},
		{"frank: spaced out ", "frank", " spaced out ", ""},
		{"gus::/", "gus", ":/", ""},
	} {
		u, err := parseUserFlag(tc.in)
		if tc.name == "gus" {
			// "::/" is an empty password with the root as home
			if err == nil {
				t.Errorf("%q: %+v", tc.in, u)
			}
			continue
		}
		if err != nil || u.Name != tc.name || u.Password != tc.pass || u.Home != tc.home {
			t.Errorf("parseUserFlag(%q) = %+v, %v", tc.in, u, err)
		}
	}
	for in, says := range map[string]string{
		"carol:pa:ss":  "ambiguous",
		"dave:":        "password is empty",
		"dave::/home":  "password is empty",
		"nobody":       "want name:password",
		":pw":          "want name:password",
		"erin:http://": "ambiguous",
		"eve:pw://x":   "ambiguous",
	} {
		if _, err := parseUserFlag(in); err == nil || !strings.Contains(err.Error(), says) || !strings.Contains(err.Error(), "carol:pa:ss:/") {
			t.Errorf("parseUserFlag(%q) = %v, want an error saying %q and the syntax", in, err, says)
		}
	}
	// refused at start, with the syntax
	if code, stderr := runBriefly(t, []string{"-user", "carol:pa:ss"}, nil); code != 2 || !strings.Contains(stderr, "name:password:/home") || !strings.Contains(stderr, "-user") {
		t.Errorf("-user carol:pa:ss: exit %d: %s", code, stderr)
	}
	if code, stderr := runBriefly(t, nil, map[string]string{"MOCKFTPD_USER": "dave:"}); code != 2 || !strings.Contains(stderr, "MOCKFTPD_USER") {
		t.Errorf("MOCKFTPD_USER=dave: exit %d: %s", code, stderr)
	}

	// what logs in: the flag, and the variable one account a line
	r := start(t, []string{"-listen", "127.0.0.1:0", "-user", "carol:pa:ss:/", "-user", "alice:secret:/alice"}, nil)
	fromEnv := start(t, []string{"-listen", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_USER": "bob:with,comma\r\nzed: padded \n"})
	commas := start(t, []string{"-listen", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_USER": "kim:one, lee:two:/lee"})
	for _, acct := range []struct {
		r                    *running
		name, password, home string
	}{
		{r, "carol", "pa:ss", "/"},
		{r, "alice", "secret", "/alice"},
		{fromEnv, "bob", "with,comma", "/"},
		{fromEnv, "zed", " padded ", "/"},
		{commas, "kim", "one", "/"},
		{commas, "lee", "two", "/lee"},
	} {
		c, err := ftp.Dial(acct.r.srv.Addr(), ftp.DialWithDialFunc(deadlineDial))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Login(acct.name, acct.password); err != nil {
			t.Errorf("login %s/%q: %v", acct.name, acct.password, err)
		} else if dir, err := c.CurrentDir(); err != nil || dir != acct.home {
			t.Errorf("%s: PWD %q %v", acct.name, dir, err)
		}
		_ = c.Quit()
	}
}

// adminGet sends GET path to the admin API at addr with Host host.
func adminGet(t *testing.T, addr, host, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	if host != "" {
		req.Host = host
	}
	client := &http.Client{Timeout: clientTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestAdminAllowHost(t *testing.T) {
	flagged := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-admin-allow-host", "mockftpd", "-admin-allow-host", "a.test,b.test"}, nil)
	fromEnv := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_ADMIN_ALLOW_HOST": "ftp.test, other.test"})
	for _, r := range []*running{flagged, fromEnv} {
		_, port, _ := net.SplitHostPort(r.admin)
		for host, want := range map[string]int{
			"":                      200,
			"localhost:" + port:     200,
			"evil.example:" + port:  403,
			"mockftpd.evil.example": 403,
		} {
			if got := adminGet(t, r.admin, host, "/api/state"); got != want {
				t.Errorf("Host %q: %d, want %d", host, got, want)
			}
		}
	}
	for _, host := range []string{"mockftpd:1", "a.test", "b.test"} {
		if got := adminGet(t, flagged.admin, host, "/api/state"); got != 200 {
			t.Errorf("-admin-allow-host: Host %q: %d", host, got)
		}
	}
	for _, host := range []string{"ftp.test:1", "other.test"} {
		if got := adminGet(t, fromEnv.admin, host, "/api/state"); got != 200 {
			t.Errorf("MOCKFTPD_ADMIN_ALLOW_HOST: Host %q: %d", host, got)
		}
	}
	// the name -admin listens on is allowed
	f := newServeFlags(io.Discard)
	if err := f.parse([]string{"-admin", "mockftpd.test:8021", "-admin-token", "tok"}, envFrom(nil)); err != nil {
		t.Fatal(err)
	}
	if _, opts, err := f.adminOptions(mustLogger(t)); err != nil || len(opts.AllowedHosts) != 1 || opts.AllowedHosts[0] != "mockftpd.test" {
		t.Errorf("-admin mockftpd.test:8021: %v %v", opts.AllowedHosts, err)
	}
}

// rawAdmin sends head, then body, on a new connection to addr.
func rawAdmin(t *testing.T, addr, head, body string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := io.WriteString(c, head+body); err != nil {
		t.Fatal(err)
	}
	return c
}

// answer reads the response on c (within the client timeout) and says
// whether the server closed the connection after it.
func answer(t *testing.T, c net.Conn) (int, string, bool) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(clientTimeout))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err.Error(), true
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	_, err = br.ReadByte()
	return resp.StatusCode, string(b), err == io.EOF
}

// TestAdminSlowClients: clients that send slowly, or not at all, do not
// hold the admin API: 30 unauthenticated uploads a byte at a time get 401
// at once; a stalled header or body is cut by the server's timeouts; an
// upload that keeps moving is not.
func TestAdminSlowClients(t *testing.T) {
	saved := adminTimeouts
	adminTimeouts.readHeader, adminTimeouts.read = 300*time.Millisecond, 500*time.Millisecond
	defer func() { adminTimeouts = saved }()
	r := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-admin-token", "tok"}, nil)

	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := rawAdmin(t, r.admin, fmt.Sprintf("PUT /api/files/f%d.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n", i), "x")
			if code, body, closed := answer(t, c); code != 401 || !closed {
				t.Errorf("unauthenticated slow upload: %d, closed %v: %s", code, closed, body)
			}
		}()
	}
	wg.Wait()

	// a header that never ends
	c := rawAdmin(t, r.admin, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: 1")
	if _, err := io.ReadAll(deadlineReader(c)); err != nil {
		t.Errorf("a stalled header was not closed: %v", err)
	}
	// a body that stops, on an authorized request
	c = rawAdmin(t, r.admin, "PUT /api/scenario HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\nContent-Type: application/yaml\r\nContent-Length: 1000\r\n\r\n", "version: 1\n")
	if code, body, closed := answer(t, c); code != 400 || !closed {
		t.Errorf("a stalled scenario body: %d, closed %v: %s", code, closed, body)
	}
	// a file upload slower than the read timeout in all, but moving
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("m"), 256<<10)
		for range 8 {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
			time.Sleep(150 * time.Millisecond)
		}
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("PUT", "http://"+r.admin+"/api/files/slow.bin", pr)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := (&http.Client{Timeout: clientTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(string(b), `"size": 2097152`) {
		t.Fatalf("a moving upload: %d %s", resp.StatusCode, b)
	}
}

// deadlineReader reads c until the server closes it, or fails after the
// client timeout.
func deadlineReader(c net.Conn) io.Reader {
	_ = c.SetReadDeadline(time.Now().Add(clientTimeout))
	return c
}

// TestAdminConnectionCap: beyond -admin-max-connections, a connection
// waits until one closes.
func TestAdminConnectionCap(t *testing.T) {
	r := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-admin-max-connections", "2"}, nil)
	held := []net.Conn{rawAdmin(t, r.admin, "", ""), rawAdmin(t, r.admin, "", "")}
	quick := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := quick.Get("http://" + r.admin + "/api/health"); err == nil {
		_ = resp.Body.Close()
		t.Fatal("a third connection was served while two were held")
	}
	r.waitLog(t, "every connection slot is taken")
	_ = held[0].Close()
	if got := adminGet(t, r.admin, "", "/api/health"); got != 200 {
		t.Fatalf("after a slot was freed: %d", got)
	}
}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8021", "", true},
		{"[::1]:8021", "", true},
		{"localhost:8021", "", true},
		{"127.0.0.2:8021", "", true},
		{"0.0.0.0:8021", "", false},
		{":8021", "", false},
		{"[::]:8021", "", false},
		{"192.0.2.1:8021", "", false},
		{"example.com:8021", "", false},
		{"0.0.0.0:8021", "tok", true},
		{"8021", "tok", false},
	} {
		err := checkListen(tc.addr, tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("checkListen(%q, %q) = %v", tc.addr, tc.token, err)
		}
		if err != nil && tc.token == "" && !strings.Contains(err.Error(), "MOCKFTPD_ADMIN_TOKEN") {
			t.Errorf("message does not say how to fix it: %v", err)
		}
	}
}

// TestLivePage: mockftpd prints the page's address (never the token),
// serves the page, and a page left open does not hold up the shutdown:
// with a grace longer than the test waits, the stream must end at once.
func TestLivePage(t *testing.T) {
	var stream *http.Response
	t.Cleanup(func() { // after serve's cleanup: the page stays open until mockftpd stops
		if stream != nil {
			_ = stream.Body.Close()
		}
	})
	r := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-admin-token", "s3cret-tok", "-shutdown-grace", "5m"}, nil)
	r.waitLog(t, "url=http://"+r.admin+"/ui/")
	if strings.Contains(r.logs.String(), "s3cret-tok") {
		t.Fatalf("the token is in the logs:\n%s", r.logs)
	}
	resp, err := http.Get("http://" + r.admin + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), `data-token="required"`) {
		t.Fatalf("GET /ui/: %d %s\n%s", resp.StatusCode, resp.Header, page)
	}
	req, _ := http.NewRequest("GET", "http://"+r.admin+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer s3cret-tok")
	stream, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stream.Body).ReadString('\n')
	if stream.StatusCode != 200 || err != nil || !strings.Contains(line, `"type":"reset"`) {
		t.Fatalf("GET /api/events: %d %q %v", stream.StatusCode, line, err)
	}
	// the cleanup cancels serve and fails unless it returns within the
	// client timeout, far shorter than the grace
}

func TestPageURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8021": "http://127.0.0.1:8021/ui/",
		"0.0.0.0:8021":   "http://127.0.0.1:8021/ui/",
		"[::]:8021":      "http://[::1]:8021/ui/",
		"[::1]:9":        "http://[::1]:9/ui/",
	} {
		if got := pageURL(in); got != want {
			t.Errorf("pageURL(%q) = %q, want %q", in, got, want)
		}
	}
}
