package admin_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/admin"
)

// port is the port of the env's API.
func (e *env) port() string {
	u, _ := url.Parse(e.http.URL)
	return u.Port()
}

func (e *env) rules() int { return len(e.ftp.Scenario().Rules) }

// TestCrossSiteWritesRefused: a web page on another site, or one that
// rebinds its own name to 127.0.0.1, cannot change the server, with the
// loopback default and no token.
func TestCrossSiteWritesRefused(t *testing.T) {
	e := newEnv(t, admin.Options{})
	pwned := "when: {command: '*'}\nreply: 421 pwned\n"
	for _, tc := range []struct {
		name, method, path string
		code               int
		headers            []string
		says               string
	}{
		{"text/plain from a page", "POST", "/api/rules", 415, []string{"Content-Type", "text/plain;charset=UTF-8"}, "Content-Type: application/yaml"},
		{"form to /api/rules", "POST", "/api/rules", 415, []string{"Content-Type", "application/x-www-form-urlencoded"}, "--data-binary"},
		{"form to /api/reset", "POST", "/api/reset", 415, []string{"Content-Type", "application/x-www-form-urlencoded"}, "application/json"},
		{"multipart form to /api/scenario", "PUT", "/api/scenario", 415, []string{"Content-Type", "multipart/form-data; boundary=x"}, "application/yaml"},
		{"Origin of another site", "POST", "/api/rules", 403, []string{"Origin", "http://evil.example", "Content-Type", "application/yaml"}, "cross-origin"},
		{"Origin of another port", "POST", "/api/reset", 403, []string{"Origin", "http://127.0.0.1:1"}, "cross-origin"},
		{"Origin null", "POST", "/api/reset", 403, []string{"Origin", "null"}, "cross-origin"},
		{"cross-site fetch metadata", "DELETE", "/api/rules", 403, []string{"Sec-Fetch-Site", "cross-site"}, "cross-origin"},
		{"same-site fetch metadata", "POST", "/api/reset", 403, []string{"Sec-Fetch-Site", "same-site"}, "cross-origin"},
		{"DNS rebinding", "POST", "/api/rules", 403, []string{"Host", "evil.example:" + e.port(), "Content-Type", "application/yaml"}, "-admin-allow-host evil.example"},
		{"DNS rebinding, same origin", "POST", "/api/rules", 403, []string{"Host", "evil.example:" + e.port(), "Origin", "http://evil.example:" + e.port(), "Sec-Fetch-Site", "same-origin"}, "DNS rebinding"},
		{"DNS rebinding, a read", "GET", "/api/journal", 403, []string{"Host", "evil.example:" + e.port()}, "Host"},
		{"a read from another origin", "GET", "/api/files/", 403, []string{"Origin", "http://evil.example"}, "cross-origin"},
		{"name ending in localhost", "GET", "/api/state", 403, []string{"Host", "localhost.evil.example:" + e.port()}, "Host"},
	} {
		body := pwned
		if tc.path != "/api/rules" {
			body = ""
		}
		r := e.do(tc.method, tc.path, strings.NewReader(body), tc.headers...)
		if r.code != tc.code {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.code, tc.code, r.body)
			continue
		}
		if msg, _ := r.json(t)["error"].(string); !strings.Contains(msg, tc.says) {
			t.Errorf("%s: error %q does not say %q", tc.name, msg, tc.says)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
	}
	if n := e.rules(); n != 0 {
		t.Fatalf("%d rules were added", n)
	}

	// What may: a client that is not a browser (no Origin, any or no
	// type), the API's own pages, loopback names and addresses.
	for _, headers := range [][]string{
		nil,
		{"Content-Type", "application/yaml"},
		{"Content-Type", "application/json; charset=utf-8"},
		{"Content-Type", "application/x-yaml"},
		{"Content-Type", "TEXT/YAML"},
		{"Content-Type", "text/x-yaml"},
		{"Origin", e.http.URL, "Sec-Fetch-Site", "same-origin", "Content-Type", "application/yaml"},
		{"Sec-Fetch-Site", "none"},
		{"Host", "localhost:" + e.port()},
		{"Host", "LOCALHOST.:" + e.port()},
		{"Host", "ui.localhost:" + e.port()},
		{"Host", "[::1]:" + e.port()},
		{"Host", "10.1.2.3:" + e.port()},
		{"Host", "localhost:" + e.port(), "Origin", "http://localhost:" + e.port()},
	} {
		e.expect(201, "POST", "/api/rules", pwned, headers...)
	}
	e.expect(200, "POST", "/api/reset", "")
	e.expect(200, "DELETE", "/api/rules", "")
	// A file's bytes may have any type; the other checks hold.
	e.expect(201, "PUT", "/api/files/a.csv", "a,b\n", "Content-Type", "text/csv")
	e.expect(200, "PUT", "/api/files/a.csv", "a,b\n", "Content-Type", "text/plain")
	e.expect(403, "PUT", "/api/files/a.csv", "x", "Origin", "http://evil.example", "Content-Type", "text/plain")
}

func TestAllowedHosts(t *testing.T) {
	e := newEnv(t, admin.Options{AllowedHosts: []string{"MockFTPD", "ftp.test."}})
	for _, h := range []string{"mockftpd", "mockftpd:8021", "ftp.test:1", "FTP.TEST."} {
		e.expect(200, "GET", "/api/state", "", "Host", h)
	}
	e.expect(403, "GET", "/api/state", "", "Host", "other.test")
	e.expect(403, "GET", "/api/state", "", "Host", "sub.mockftpd")

	any := newEnv(t, admin.Options{Token: "tok", AllowedHosts: []string{"*"}})
	any.expect(200, "GET", "/api/state", "", "Host", "whatever.example")
	any.expect(403, "POST", "/api/reset", "", "Host", "whatever.example", "Origin", "http://evil.example")

	for _, tc := range []struct {
		opts admin.Options
		says string
	}{
		{admin.Options{AllowedHosts: []string{"*"}}, "needs an admin token"},
		{admin.Options{AllowedHosts: []string{"mockftpd:8021"}}, "no scheme, port or path"},
		{admin.Options{AllowedHosts: []string{"http://mockftpd"}}, "no scheme, port or path"},
		{admin.Options{AllowedHosts: []string{""}}, "want a host name"},
		{admin.Options{Token: " "}, "blank"},
		{admin.Options{Token: "\t"}, "blank"},
		{admin.Options{Token: "tok "}, "white space"},
		{admin.Options{Token: "to\nk"}, "control character"},
	} {
		err := tc.opts.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.opts, err, tc.says)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", tc.opts)
				}
			}()
			admin.New(nil, tc.opts)
		}()
	}
	if err := (admin.Options{Token: "a b", AllowedHosts: []string{"mockftpd", "10.0.0.1", "*"}}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// rawRequest sends head (a request's line and headers) and then body on a
// fresh connection, and returns the connection.
func (e *env) rawRequest(head string, body string) net.Conn {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.http.URL, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	if _, err := io.WriteString(c, head+"\r\n"+body); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// readResponse reads the answer on c and says whether the server then
// closed the connection.
func readResponse(t *testing.T, c net.Conn, req *http.Request) (*http.Response, string, bool) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(clientTimeout))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	_, err = br.ReadByte()
	return resp, string(b), err == io.EOF
}

// TestTokenBeforeBody: a client without the token that sends its body a
// byte at a time gets 401 at once and the connection closed; it cannot
// hold the API.
func TestTokenBeforeBody(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "tok"})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.rawRequest(fmt.Sprintf("PUT /api/files/slow%d.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n", i), "x")
			resp, body, closed := readResponse(t, c, &http.Request{Method: "PUT"})
			if resp.StatusCode != 401 || !strings.Contains(body, "bearer token") || !closed {
				t.Errorf("status %d, closed %v: %s", resp.StatusCode, closed, body)
			}
		}()
	}
	wg.Wait()
	// Refusals for the Host, the type or the size do not wait either.
	for _, head := range []string{
		"POST /api/rules HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 100000\r\n",
		"POST /api/rules HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n",
		"POST /api/rules HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n",
		"PUT /api/scenario HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\nContent-Length: 2000000\r\n",
	} {
		c := e.rawRequest(head, "x")
		resp, body, closed := readResponse(t, c, &http.Request{Method: "POST"})
		if resp.StatusCode < 400 || !closed {
			t.Errorf("%q: status %d, closed %v: %s", head, resp.StatusCode, closed, body)
		}
	}
}

// TestRedirectsAndErrorsAreJSON: what the router answers by itself is
// JSON too.
func TestRedirectsAndErrorsAreJSON(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "t"})
	noRedirect := *e.http.Client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		method, path string
		code         int
		location     string
	}{
		{"GET", "/api//scenario", 307, "/api/scenario"},
		{"GET", "/api/./state?x=1", 307, "/api/state?x=1"},
		{"PUT", "/api//state", 307, "/api/state"},
		{"GET", "/api/files", 307, "/api/files/"},
		{"HEAD", "/api/files", 307, "/api/files/"},
		{"GET", "/api/files/a/../b", 307, "/api/files/b"},
		{"GET", "/nope", 404, ""},
		{"DELETE", "/api/state", 405, ""},
		{"OPTIONS", "/api/rules", 405, ""},
	} {
		req, _ := http.NewRequest(tc.method, e.http.URL+tc.path, strings.NewReader(`{"state": "x"}`))
		req.Header.Set("Authorization", "Bearer t")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		if tc.method == "HEAD" {
			continue
		}
		m := response{body: b}.json(t)
		if tc.location != "" && (m["location"] != tc.location || resp.Header.Get("Location") != tc.location) {
			t.Errorf("%s %s: %s", tc.method, tc.path, b)
		}
		if tc.location == "" && m["error"] == nil {
			t.Errorf("%s %s: %s", tc.method, tc.path, b)
		}
	}
	if s := e.ftp.State(); s != "" {
		t.Fatalf("a redirected PUT set the state to %q", s)
	}
}

// TestFilesAreNotPages: a file a client uploaded is sent so that no
// browser renders or runs it.
func TestFilesAreNotPages(t *testing.T) {
	e := newEnv(t, admin.Options{})
	e.expect(201, "PUT", "/api/files/x.html", "<script>alert(1)</script>")
	r := e.expect(200, "GET", "/api/files/x.html", "")
	if r.header.Get("Content-Type") != "application/octet-stream" || r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("headers: %v", r.header)
	}
}
