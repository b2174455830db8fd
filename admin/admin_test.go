package admin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const clientTimeout = testclient.Timeout

// env is a mock FTP server with its admin API.
type env struct {
	t     *testing.T
	ftp   *server.Server
	api   *admin.API
	http  *httptest.Server
	token string
	// served gets "METHOD /path" when the API has answered a request
	// (when nobody reads it, the oldest 100 are kept).
	served chan string
}

// ftpOption edits the FTP server's configuration.
type ftpOption func(t *testing.T, cfg *server.Config)

func scenarioFile(path string) ftpOption {
	return func(t *testing.T, cfg *server.Config) {
		sc, err := scenario.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Scenario = sc
	}
}

func scenarioText(text string) ftpOption {
	return func(t *testing.T, cfg *server.Config) {
		sc, err := scenario.Parse("<scenario>", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Scenario = sc
	}
}

func hostRoot(dir string) ftpOption {
	return func(t *testing.T, cfg *server.Config) { cfg.Root = dir }
}

func newEnv(t *testing.T, opts admin.Options, ftpOpts ...ftpOption) *env {
	t.Helper()
	cfg := server.Config{Listen: "127.0.0.1:0"}
	for _, o := range ftpOpts {
		o(t, &cfg)
	}
	srv, err := server.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{t: t, ftp: srv, api: admin.New(srv, opts), token: opts.Token, served: make(chan string, 100)}
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.api.ServeHTTP(w, r)
		select {
		case e.served <- r.Method + " " + r.URL.Path:
		default:
		}
	}))
	t.Cleanup(func() {
		e.http.Client().CloseIdleConnections()
		e.http.Close()
	})
	return e
}

// forgetServed drops what served holds.
func (e *env) forgetServed() {
	for {
		select {
		case <-e.served:
		default:
			return
		}
	}
}

// waitServed waits until the API has answered want ("METHOD /path").
func (e *env) waitServed(want string) {
	e.t.Helper()
	deadline := time.After(clientTimeout)
	for {
		select {
		case got := <-e.served:
			if got == want {
				return
			}
		case <-deadline:
			e.t.Fatalf("the API did not answer %s", want)
		}
	}
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) jsonInto(v any) error { return json.Unmarshal(r.body, v) }

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request with the env's token (when it has one).
func (e *env) do(method, path string, body io.Reader, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) expect(want int, method, path string, body string, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := e.do(method, path, rd, header...)
	if r.code != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.code, want, r.body)
	}
	if r.code >= 400 {
		m := r.json(e.t)
		if msg, _ := m["error"].(string); msg == "" {
			e.t.Fatalf("%s %s: error response without an error message: %s", method, path, r.body)
		}
	}
	return r
}

// deadlineDial dials with deadlines: jlaffaye/ftp has no read timeout.
var deadlineDial = testclient.DeadlineDial

// login connects an FTP client and logs in; it is closed at cleanup.
func (e *env) login() *ftp.ServerConn {
	e.t.Helper()
	c, err := ftp.Dial(e.ftp.Addr(), ftp.DialWithDialFunc(deadlineDial))
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.t.Cleanup(func() { _ = c.Quit() })
	if err := c.Login("anonymous", "test@"); err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return c
}

// code returns the FTP reply code of err (0 when err is nil or not a reply).
func code(err error) int {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return 0
}

func TestHealthAndReady(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "tok"})
	e.token = "" // the probes need no token
	if m := e.expect(200, "GET", "/api/health", "").json(t); m["status"] != "ok" {
		t.Fatalf("health: %v", m)
	}
	m := e.expect(200, "GET", "/api/ready", "").json(t)
	if m["ready"] != true || m["ftp"] != e.ftp.Addr() || m["dialed"] != false {
		t.Fatalf("ready: %v", m)
	}
	// no connection was made: the journal is empty
	if n := len(e.ftp.Journal().Entries()); n != 0 {
		t.Fatalf("ready made %d journal entries", n)
	}
	m = e.expect(200, "GET", "/api/ready?dial=true", "").json(t)
	if reply, _ := m["reply"].(string); !strings.HasPrefix(reply, "220") || m["dialed"] != true {
		t.Fatalf("ready?dial=true: %v", m)
	}
	if err := e.ftp.Close(); err != nil {
		t.Fatal(err)
	}
	e.expect(503, "GET", "/api/ready", "")
	e.expect(200, "GET", "/api/health", "")
}

func TestAuth(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "s3cret-token"})
	for _, tc := range []struct {
		name, auth string
	}{
		{"no header", ""},
		{"wrong token", "Bearer wrong"},
		{"token prefix", "Bearer s3cret"},
		{"basic scheme", "Basic czNjcmV0LXRva2Vu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.http.URL+"/api/scenario", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := e.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 401 {
				t.Fatalf("status %d, want 401: %s", resp.StatusCode, b)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil || !strings.Contains(m["error"], "token") {
				t.Fatalf("body %s", b)
			}
		})
	}
	// every route but the probes wants the token
	for _, p := range []string{"/api/openapi.json", "/api/state", "/api/journal", "/api/verify", "/api/files/"} {
		req, _ := http.NewRequest("GET", e.http.URL+p, nil)
		resp, err := e.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("GET %s without a token: %d", p, resp.StatusCode)
		}
	}
	e.expect(200, "GET", "/api/scenario", "")
	if r := e.expect(200, "GET", "/api/openapi.json", ""); !bytes.Equal(r.body, admin.OpenAPIDoc) {
		t.Fatal("GET /api/openapi.json is not the embedded document")
	}
}

// TestScenarioRoundTrips puts every scenario shipped in the repository
// through GET (YAML and JSON) and PUT: what comes back is what was served.
func TestScenarioRoundTrips(t *testing.T) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	more, _ := filepath.Glob("../scenario/testdata/examples/*.*")
	files = append(files, more...)
	if len(files) < 3 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			e := newEnv(t, admin.Options{}, scenarioFile(f))
			y := e.expect(200, "GET", "/api/scenario", "").body
			j := e.expect(200, "GET", "/api/scenario?format=json", "").body
			if bytes.Contains(y, []byte("from:")) {
				// host files are not accepted through the API
				e.expect(400, "PUT", "/api/scenario", string(y))
				return
			}
			e.expect(200, "PUT", "/api/scenario", string(j))
			if y2 := e.expect(200, "GET", "/api/scenario", "").body; !bytes.Equal(y, y2) {
				t.Fatalf("JSON round trip changed the scenario:\n%s\n---\n%s", y, y2)
			}
			e.expect(200, "PUT", "/api/scenario", string(y))
			if y3 := e.expect(200, "GET", "/api/scenario", "").body; !bytes.Equal(y, y3) {
				t.Fatalf("YAML round trip changed the scenario:\n%s\n---\n%s", y, y3)
			}
		})
	}
}

const storFails = `version: 1
name: disk full
rules:
  - name: stor fails
    when: {command: STOR}
    reply: 452 Insufficient storage space
`

func TestScenarioPutGet(t *testing.T) {
	e := newEnv(t, admin.Options{})
	m := e.expect(200, "PUT", "/api/scenario", storFails, "Content-Type", "application/yaml").json(t)
	if m["name"] != "disk full" || m["rules"] != 1.0 {
		t.Fatalf("put: %v", m)
	}
	c := e.login()
	if err := c.Stor("a.txt", strings.NewReader("hello")); code(err) != 452 {
		t.Fatalf("STOR: %v, want 452", err)
	}

	y := e.expect(200, "GET", "/api/scenario", "")
	if ct := y.header.Get("Content-Type"); ct != "application/yaml" {
		t.Fatalf("content type %q", ct)
	}
	if !bytes.Contains(y.body, []byte("452 Insufficient storage space")) || !bytes.Contains(y.body, []byte("name: disk full")) {
		t.Fatalf("yaml:\n%s", y.body)
	}
	j := e.expect(200, "GET", "/api/scenario", "", "Accept", "application/json")
	if ct := j.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	jm := j.json(t)
	if jm["version"] != 1.0 || jm["name"] != "disk full" {
		t.Fatalf("json: %s", j.body)
	}
	// the JSON form reads back as the same scenario
	e.expect(200, "PUT", "/api/scenario", string(j.body), "Content-Type", "application/json")
	y2 := e.expect(200, "GET", "/api/scenario?format=yaml", "", "Accept", "application/json")
	if !bytes.Equal(y.body, y2.body) {
		t.Fatalf("round trip through JSON changed the scenario:\n%s\n---\n%s", y.body, y2.body)
	}
	// the session already connected follows the new scenario
	e.expect(200, "PUT", "/api/scenario", "version: 1\nname: empty\n")
	if err := c.Stor("a.txt", strings.NewReader("hello")); err != nil {
		t.Fatalf("STOR after the scenario was replaced: %v", err)
	}
}

func TestScenarioBadKeepsRunning(t *testing.T) {
	e := newEnv(t, admin.Options{}, scenarioText(storFails))
	bad := "version: 1\nrules:\n  - whne: {command: STOR}\n    reply: 200 ok\n"
	r := e.expect(400, "PUT", "/api/scenario", bad)
	var body struct {
		Error  string   `json:"error"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Errors) == 0 || !strings.HasPrefix(body.Errors[0], "<scenario>:3:5: ") || !strings.Contains(body.Errors[0], "whne") {
		t.Fatalf("errors: %q", body.Errors)
	}
	if !strings.Contains(body.Error, "unchanged") {
		t.Fatalf("error: %q", body.Error)
	}
	e.expect(400, "PUT", "/api/scenario", "version: [1")                // YAML syntax
	e.expect(400, "PUT", "/api/scenario", "")                           // empty
	e.expect(400, "PUT", "/api/scenario", `{"version": 1, "rules": 5}`) // JSON, wrong type
	e.expect(400, "PUT", "/api/scenario?reset=maybe", "version: 1\n")   // bad query
	e.expect(400, "PUT", "/api/scenario", "version: 1\nfiles:\n  - {path: /p, from: /etc/passwd}\n")
	if name := e.ftp.Scenario().Name; name != "disk full" {
		t.Fatalf("scenario in force: %q", name)
	}
	c := e.login()
	if err := c.Stor("a.txt", strings.NewReader("x")); code(err) != 452 {
		t.Fatalf("STOR: %v, want 452 (old scenario)", err)
	}
}

// TestScenarioPutReset: a scenario put in force seeds its files that do
// not exist yet and leaves the paths that exist as they are; with
// reset=true the files become exactly the scenario's.
func TestScenarioPutReset(t *testing.T) {
	e := newEnv(t, admin.Options{})
	sc := "version: 1\nfiles:\n  - {path: /seed/a.txt, content: seeded}\n  - {path: /seed/b.txt, content: second}\n"
	m := e.expect(200, "PUT", "/api/scenario", "version: 1\nfiles:\n  - {path: /seed/a.txt, content: seeded}\n").json(t)
	if m["seeded"] != 1.0 || m["kept"] != 0.0 {
		t.Fatalf("first PUT: %v", m)
	}
	e.expect(200, "PUT", "/api/files/seed/a.txt", "changed by a client", "Content-Type", "application/octet-stream")
	m = e.expect(200, "PUT", "/api/scenario", sc).json(t)
	if m["seeded"] != 1.0 || m["kept"] != 1.0 {
		t.Fatalf("second PUT: %v", m)
	}
	if got := e.expect(200, "GET", "/api/files/seed/a.txt", "").body; string(got) != "changed by a client" {
		t.Fatalf("a file that existed: %q", got)
	}
	if got := e.expect(200, "GET", "/api/files/seed/b.txt", "").body; string(got) != "second" {
		t.Fatalf("a new file: %q", got)
	}
	e.expect(200, "PUT", "/api/scenario?reset=true", sc)
	if got := e.expect(200, "GET", "/api/files/seed/a.txt", "").body; string(got) != "seeded" {
		t.Fatalf("after the reset: %q", got)
	}
}

func TestRules(t *testing.T) {
	e := newEnv(t, admin.Options{}, scenarioText(storFails))
	m := e.expect(201, "POST", "/api/rules", "name: no listing\nwhen: {command: [LIST, MLSD]}\nreply: 550 Nope\n").json(t)
	if m["added"] != "no listing" || m["rules"] != 2.0 {
		t.Fatalf("post: %v", m)
	}
	m = e.expect(201, "POST", "/api/rules", "{\n\t\"when\": {\"command\": \"MKD\"},\n\t\"reply\": \"553 No\"\n}", "Content-Type", "application/json").json(t)
	if m["added"] != "rule #1" || m["rules"] != 3.0 {
		t.Fatalf("post json: %v", m)
	}
	c := e.login()
	if _, err := c.List("/"); code(err) != 550 {
		t.Fatalf("LIST: %v", err)
	}
	if err := c.MakeDir("d"); code(err) != 553 {
		t.Fatalf("MKD: %v", err)
	}
	y := e.expect(200, "GET", "/api/scenario", "").body
	if i, j := bytes.Index(y, []byte("553")), bytes.Index(y, []byte("452")); i < 0 || j < 0 || i > j {
		t.Fatalf("new rules not in front:\n%s", y)
	}

	// located errors, relative to the body
	r := e.expect(400, "POST", "/api/rules", "when:\n  command: STOR\n  agr: x\nreply: 200 ok\n")
	var body struct{ Errors []string }
	_ = json.Unmarshal(r.body, &body)
	if len(body.Errors) != 1 || !strings.HasPrefix(body.Errors[0], "<rule>:3:3: ") || !strings.Contains(body.Errors[0], "agr") {
		t.Fatalf("errors: %q", body.Errors)
	}
	r = e.expect(400, "POST", "/api/rules", "when: {command: STOR}\nreply: [1")
	_ = json.Unmarshal(r.body, &body)
	if len(body.Errors) != 1 || !strings.HasPrefix(body.Errors[0], "<rule>:") || !strings.Contains(body.Errors[0], "YAML") {
		t.Fatalf("errors: %q", body.Errors)
	}
	e.expect(400, "POST", "/api/rules", "- when: {command: STOR}\n")
	e.expect(400, "POST", "/api/rules", "")
	if n := len(e.ftp.Scenario().Rules); n != 3 {
		t.Fatalf("%d rules after bad posts", n)
	}
	// A state no rule sets may come from PUT /api/state; one that looks
	// like a typo of a state a rule sets is an error.
	e.expect(201, "POST", "/api/rules", "when: {command: SITE}\nnext_state: down\nreply: 200 ok\n")
	r = e.expect(400, "POST", "/api/rules", "when: {command: STOR, state: donw}\nreply: 421 down\n")
	_ = json.Unmarshal(r.body, &body)
	if len(body.Errors) != 1 || !strings.HasPrefix(body.Errors[0], "<rule>:1:30: ") || !strings.Contains(body.Errors[0], `did you mean "down"`) {
		t.Fatalf("errors: %q", body.Errors)
	}
	e.expect(201, "POST", "/api/rules", "when: {command: STOR, state: maintenance}\nreply: 421 down\n")
	if n := len(e.ftp.Scenario().Rules); n != 5 {
		t.Fatalf("%d rules", n)
	}

	m = e.expect(200, "DELETE", "/api/rules", "").json(t)
	if m["rules"] != 0.0 {
		t.Fatalf("delete: %v", m)
	}
	if err := c.Stor("a.txt", strings.NewReader("x")); err != nil {
		t.Fatalf("STOR without rules: %v", err)
	}
}

func TestParseRuleLocations(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"when: {command: STOR}\nreply: 999 no\n", "<rule>:2:8: "},
		{"\nwhen: {command: STOR}\nthen: explode\n", "<rule>:3:7: "},
		{"{\"when\": {\"command\": \"STOR\"}, \"times\": -1}", "<rule>:1:40: "},
		{"name: x\nwhen:\n  command: STOR\nresponses: []\n", "<rule>:4:12: "},
	} {
		_, err := admin.ParseRule([]byte(tc.body), nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseRule(%q) = %v, want an error at %q", tc.body, err, tc.want)
		}
	}
	r, err := admin.ParseRule([]byte("when: {command: STOR, state: down}\nreply: 452 full\n"), []string{"down"})
	if err != nil || r.When.State != "down" || r.Steps[0].Replies[0].Code != 452 || r.Pos != "<rule>:1:1" {
		t.Fatalf("ParseRule: %+v, %v", r, err)
	}
}

func TestState(t *testing.T) {
	sc := `version: 1
rules:
  - name: outage
    when: {command: STOR, state: down}
    reply: 421 Service not available
  - name: goes down
    when: {command: SITE}
    next_state: down
    reply: 200 ok
`
	e := newEnv(t, admin.Options{}, scenarioText(sc))
	if m := e.expect(200, "GET", "/api/state", "").json(t); m["state"] != "" {
		t.Fatalf("state: %v", m)
	}
	c := e.login()
	if err := c.Stor("a.txt", strings.NewReader("x")); err != nil {
		t.Fatalf("STOR before: %v", err)
	}
	if m := e.expect(200, "PUT", "/api/state", `{"state":"down"}`).json(t); m["state"] != "down" {
		t.Fatalf("put state: %v", m)
	}
	if m := e.expect(200, "GET", "/api/state", "").json(t); m["state"] != "down" {
		t.Fatalf("state: %v", m)
	}
	if err := c.Stor("a.txt", strings.NewReader("x")); code(err) != 421 {
		t.Fatalf("STOR while down: %v", err)
	}
	e.expect(400, "PUT", "/api/state", `{"stat":"x"}`)
	e.expect(400, "PUT", "/api/state", `{}`)
	e.expect(400, "PUT", "/api/state", `"down"`)
	e.expect(400, "PUT", "/api/state", `{"state": 5}`)
}

func TestReset(t *testing.T) {
	sc := "version: 1\nfiles:\n  - {path: /pub/readme.txt, content: hello}\nrules:\n  - {when: {command: NOOP, nth: 1}, reply: 500 first}\n"
	e := newEnv(t, admin.Options{}, scenarioText(sc))
	c := e.login()
	if err := c.Stor("up.txt", strings.NewReader("data")); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/pub/readme.txt"); err != nil {
		t.Fatal(err)
	}
	e.expect(200, "PUT", "/api/state", `{"state":"x"}`)
	if len(e.ftp.Journal().Entries()) == 0 {
		t.Fatal("empty journal")
	}
	if m := e.expect(200, "POST", "/api/reset", "").json(t); m["reset"] != true {
		t.Fatalf("reset: %v", m)
	}
	if n := len(e.ftp.Journal().Entries()); n != 0 {
		t.Fatalf("%d journal entries after reset", n)
	}
	if s := e.ftp.State(); s != "" {
		t.Fatalf("state after reset: %q", s)
	}
	e.expect(404, "GET", "/api/files/up.txt", "")
	if got := e.expect(200, "GET", "/api/files/pub/readme.txt", "").body; string(got) != "hello" {
		t.Fatalf("seed after reset: %q", got)
	}
}

func TestJournal(t *testing.T) {
	e := newEnv(t, admin.Options{}, scenarioText(storFails))
	c1 := e.login()
	if err := c1.Stor("a.txt", strings.NewReader("x")); code(err) != 452 {
		t.Fatal(err)
	}
	mid := time.Now()
	c2 := e.login()
	if err := c2.NoOp(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ftp.WaitCommand("NOOP", "", clientTimeout); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Session int
		Seq     int
		Command string
		Codes   []int
		Rule    string
		Time    time.Time
	}
	get := func(query string) (entries []entry, last int) {
		t.Helper()
		var body struct {
			Entries []entry
			LastSeq int `json:"last_seq"`
		}
		if err := json.Unmarshal(e.expect(200, "GET", "/api/journal"+query, "").body, &body); err != nil {
			t.Fatal(err)
		}
		return body.Entries, body.LastSeq
	}
	all, last := get("")
	if len(all) < 8 || last != all[len(all)-1].Seq {
		t.Fatalf("journal: %d entries, last %d: %+v", len(all), last, all)
	}
	stor, _ := get("?command=stor")
	if len(stor) != 1 || stor[0].Codes[len(stor[0].Codes)-1] != 452 || stor[0].Rule != "stor fails" || stor[0].Session != 1 {
		t.Fatalf("command=stor: %+v", stor)
	}
	s2, _ := get("?session=2")
	for _, en := range s2 {
		if en.Session != 2 {
			t.Fatalf("session=2: %+v", s2)
		}
	}
	if len(s2) == 0 || s2[0].Command != "<connect>" {
		t.Fatalf("session=2: %+v", s2)
	}
	multi, _ := get("?command=STOR,NOOP")
	if len(multi) != 2 {
		t.Fatalf("command=STOR,NOOP: %+v", multi)
	}
	since, _ := get("?since=" + strconv.Itoa(stor[0].Seq))
	if len(since) == 0 || since[0].Seq != stor[0].Seq+1 {
		t.Fatalf("since=%d: %+v", stor[0].Seq, since)
	}
	after, _ := get("?since=" + mid.UTC().Format(time.RFC3339Nano))
	for _, en := range after {
		if en.Time.Before(mid) || en.Session != 2 {
			t.Fatalf("since=time: %+v", after)
		}
	}
	if len(after) == 0 {
		t.Fatal("since=time: nothing")
	}
	un, _ := get("?unmatched=true")
	if len(un) != len(all)-1 {
		t.Fatalf("unmatched: %d of %d", len(un), len(all))
	}
	for _, en := range un {
		if en.Rule != "" {
			t.Fatalf("unmatched: %+v", en)
		}
	}
	lim, _ := get("?limit=2")
	if len(lim) != 2 || lim[1].Seq != last {
		t.Fatalf("limit=2: %+v", lim)
	}
	for _, q := range []string{"?session=x", "?session=0", "?since=yesterday", "?unmatched=perhaps", "?limit=-1"} {
		e.expect(400, "GET", "/api/journal"+q, "")
	}
}

func TestVerify(t *testing.T) {
	sc := storFails + "expect:\n  - {name: one upload, command: STOR, times: 1}\n"
	e := newEnv(t, admin.Options{}, scenarioText(sc))
	r := e.expect(409, "GET", "/api/verify", "")
	m := r.json(t)
	if m["ok"] != false || !strings.Contains(m["error"].(string), "1 of 1") || !strings.Contains(m["text"].(string), "FAIL") {
		t.Fatalf("verify: %s", r.body)
	}
	c := e.login()
	_ = c.Stor("a.txt", strings.NewReader("x"))
	if _, err := e.ftp.WaitCommand("STOR", "", clientTimeout); err != nil {
		t.Fatal(err)
	}
	m = e.expect(200, "GET", "/api/verify", "").json(t)
	exps := m["expectations"].([]any)
	if m["ok"] != true || len(exps) != 1 || exps[0].(map[string]any)["met"] != true {
		t.Fatalf("verify: %v", m)
	}
	if _, has := m["error"]; has {
		t.Fatalf("verify ok has an error: %v", m)
	}
}

func TestFiles(t *testing.T) {
	e := newEnv(t, admin.Options{MaxFileBytes: 1024})
	if m := e.expect(201, "PUT", "/api/files/in/box/a.txt", "first").json(t); m["path"] != "/in/box/a.txt" || m["size"] != 5.0 || m["created"] != true {
		t.Fatalf("put: %v", m)
	}
	e.expect(200, "PUT", "/api/files/in/box/a.txt", "second")
	r := e.expect(200, "GET", "/api/files/in/box/a.txt", "")
	if string(r.body) != "second" || r.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("get: %q %v", r.body, r.header)
	}
	// what an FTP client sees, and what it uploads
	c := e.login()
	rr, err := c.Retr("/in/box/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rr)
	_ = rr.Close()
	if string(b) != "second" {
		t.Fatalf("RETR: %q", b)
	}
	if err := c.Stor("/in/up.bin", bytes.NewReader([]byte{0, 1, 2, 255})); err != nil {
		t.Fatal(err)
	}
	if got := e.expect(200, "GET", "/api/files/in/up.bin", "").body; !bytes.Equal(got, []byte{0, 1, 2, 255}) {
		t.Fatalf("uploaded: %v", got)
	}
	var dir struct {
		Path    string
		Entries []struct {
			Name string
			Path string
			Dir  bool
			Size int64
		}
	}
	if err := json.Unmarshal(e.expect(200, "GET", "/api/files/in", "").body, &dir); err != nil {
		t.Fatal(err)
	}
	if dir.Path != "/in" || len(dir.Entries) != 2 || dir.Entries[0].Name != "box" || !dir.Entries[0].Dir || dir.Entries[1].Path != "/in/up.bin" || dir.Entries[1].Size != 4 {
		t.Fatalf("listing: %+v", dir)
	}
	if err := json.Unmarshal(e.expect(200, "GET", "/api/files/", "").body, &dir); err != nil || dir.Path != "/" || len(dir.Entries) != 1 {
		t.Fatalf("root listing: %+v %v", dir, err)
	}
	e.expect(404, "GET", "/api/files/nope.txt", "")
	e.expect(404, "GET", "/api/files/..%2F..%2Fetc%2Fpasswd", "")
	e.expect(409, "PUT", "/api/files/in/box", "x")           // a directory
	e.expect(409, "PUT", "/api/files/in/box/a.txt/sub", "x") // under a file
	e.expect(400, "PUT", "/api/files/", "x")
	e.expect(413, "PUT", "/api/files/big.bin", strings.Repeat("x", 1025))
	// a body without a length, over the limit: nothing is left behind
	r = e.do("PUT", "/api/files/big2.bin", io.MultiReader(strings.NewReader(strings.Repeat("y", 2000))))
	if r.code != 413 {
		t.Fatalf("chunked over limit: %d %s", r.code, r.body)
	}
	e.expect(404, "GET", "/api/files/big2.bin", "")
	e.expect(201, "PUT", "/api/files/exact.bin", strings.Repeat("z", 1024))
}

func TestFilesStayInRoot(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, admin.Options{}, hostRoot(root))
	for _, p := range []string{"/api/files/../secret.txt", "/api/files/..%2Fsecret.txt", "/api/files/%2E%2E/secret.txt"} {
		r := e.do("GET", p, nil)
		if r.code == 200 || bytes.Contains(r.body, []byte("secret")) && !bytes.Contains(r.body, []byte("error")) {
			t.Fatalf("GET %s: %d %s", p, r.code, r.body)
		}
	}
	e.expect(201, "PUT", "/api/files/..%2Fescape.txt", "x")
	if _, err := os.Stat(filepath.Join(parent, "escape.txt")); err == nil {
		t.Fatal("PUT wrote outside the root")
	}
	if b, err := os.ReadFile(filepath.Join(root, "escape.txt")); err != nil || string(b) != "x" {
		t.Fatalf("PUT inside the root: %q %v", b, err)
	}
}

func TestBodyLimits(t *testing.T) {
	e := newEnv(t, admin.Options{MaxBodyBytes: 64})
	big := "version: 1\ndescription: " + strings.Repeat("x", 100) + "\n"
	e.expect(413, "PUT", "/api/scenario", big)
	e.expect(413, "POST", "/api/rules", "when: {command: STOR}\nreply: 452 "+strings.Repeat("x", 100))
	e.expect(413, "PUT", "/api/state", `{"state": "`+strings.Repeat("x", 100)+`"}`)
	r := e.do("PUT", "/api/scenario", io.MultiReader(strings.NewReader(big)))
	if r.code != 413 {
		t.Fatalf("chunked: %d", r.code)
	}
	e.expect(200, "PUT", "/api/scenario", "version: 1\n")
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "t"})
	e.expect(404, "GET", "/api/nope", "")
	e.expect(404, "GET", "/", "")
	r := e.expect(405, "DELETE", "/api/scenario", "")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PUT") {
		t.Fatalf("Allow = %q", allow)
	}
	e.expect(405, "POST", "/api/files/a.txt", "x")
	e.expect(405, "PATCH", "/api/rules", "")
	if ct := e.do("GET", "/api/nope", nil).header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("404 content type %q", ct)
	}
}
