package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/server"
)

// FuzzRequest sends any request to the API (method, path and query,
// Host, Content-Type, Origin, body, with or without the token): it never
// panics, and what it answers is JSON but for the bodies of a file, a
// scenario in YAML and the OpenAPI document.
func FuzzRequest(f *testing.F) {
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0", JournalLimit: 1000})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	api := admin.New(srv, admin.Options{Token: "tok", MaxBodyBytes: 4 << 10, MaxFileBytes: 4 << 10, AllowedHosts: []string{"mockftpd"}})
	const yamlRule = "when: {command: STOR}\nreply: 452 full\n"
	for _, seed := range []struct {
		method, target, host, ctype, origin, body string
		auth                                      bool
	}{
		{"GET", "/api/health", "", "", "", "", false},
		{"GET", "/api/ready?dial=false", "", "", "", "", false},
		{"GET", "/api/openapi.json", "", "", "", "", true},
		{"GET", "/api/scenario?format=json", "", "", "", "", true},
		{"GET", "/api/scenario?format=yaml", "", "", "", "", true},
		{"PUT", "/api/scenario?reset=true", "", "application/yaml", "", "version: 1\nfiles:\n  - {path: /a.txt, content: hi}\n", true},
		{"PUT", "/api/scenario", "", "application/json", "", `{"version": 1, "rules": [{"when": {"command": "RETR"}, "reply": "550 no"}]}`, true},
		{"POST", "/api/rules", "", "application/yaml", "", yamlRule, true},
		{"POST", "/api/rules", "", "text/plain", "", yamlRule, true},
		{"POST", "/api/rules", "evil.example:8021", "application/yaml", "http://evil.example:8021", yamlRule, true},
		{"DELETE", "/api/rules", "", "", "", "", true},
		{"GET", "/api/state", "", "", "", "", true},
		{"PUT", "/api/state", "", "application/json", "", `{"state": "down"}`, true},
		{"POST", "/api/reset", "", "application/x-www-form-urlencoded", "", "a=b", false},
		{"GET", "/api/journal?session=1&command=STOR,RETR&since=3&unmatched=true&limit=5", "", "", "", "", true},
		{"GET", "/api/journal?since=2024-05-01T12:00:00Z", "", "", "", "", true},
		{"GET", "/api/verify", "", "", "", "", true},
		{"PUT", "/api/files/in/a.txt", "", "text/csv", "", "a,b\n", true},
		{"GET", "/api/files/in/a.txt", "", "", "", "", true},
		{"HEAD", "/api/files/in", "", "", "", "", true},
		{"GET", "/api/files/%2e%2e/%2e%2e/etc/passwd", "", "", "", "", true},
		{"GET", "/api//files//in/../in/./a.txt", "mockftpd", "", "", "", true},
		{"OPTIONS", "/api/rules", "", "", "http://127.0.0.1:8021", "", false},
		{"PATCH", "/nothing", "[::1]:8021", "", "null", "", false},
	} {
		f.Add(seed.method, seed.target, seed.host, seed.ctype, seed.origin, []byte(seed.body), seed.auth)
	}
	f.Fuzz(func(t *testing.T, method, target, host, ctype, origin string, body []byte, auth bool) {
		req, err := http.NewRequest(method, "http://127.0.0.1:8021"+target, strings.NewReader(string(body)))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return
		}
		if host != "" && validHeader(host) {
			req.Host = host
		}
		for k, v := range map[string]string{"Content-Type": ctype, "Origin": origin} {
			if v != "" && validHeader(v) {
				req.Header.Set(k, v)
			}
		}
		if auth {
			req.Header.Set("Authorization", "Bearer tok")
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		res := rec.Result()
		ct := res.Header.Get("Content-Type")
		if res.StatusCode < 100 || res.StatusCode > 599 {
			t.Fatalf("%s %q: status %d", method, target, res.StatusCode)
		}
		if ct == "application/json" {
			if method != http.MethodHead && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %q: %d, invalid JSON: %q", method, target, res.StatusCode, rec.Body.Bytes())
			}
			return
		}
		path := req.URL.Path
		switch {
		case res.StatusCode == 200 && ct == "application/octet-stream" && strings.HasPrefix(path, "/api/files/"):
		case res.StatusCode == 200 && ct == "application/yaml" && path == "/api/scenario":
		default:
			t.Fatalf("%s %q: %d with Content-Type %q: %q", method, target, res.StatusCode, ct, rec.Body.Bytes())
		}
	})
}

// validHeader says whether v can travel in a header (no CR, LF or NUL).
func validHeader(v string) bool { return !strings.ContainsAny(v, "\r\n\x00") }
