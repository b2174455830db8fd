package admin_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/record"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

const secondStorFull = `version: 1
name: second upload full
files:
  - {path: /in/old.txt, content: "old\n"}
rules:
  - name: disk full
    when: {command: STOR, nth: 2}
    times: 3
    reply: 452 Insufficient storage space
`

// uploadTwice logs in, stores a.txt (stored) and b.txt (452 by the
// scenario above) and quits; it returns the codes the client saw.
func uploadTwice(t *testing.T, addr string) []int {
	t.Helper()
	c, err := ftp.Dial(addr, ftp.DialWithDialFunc(deadlineDial))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for _, name := range []string{"a.txt", "b.txt"} {
		err := c.Stor(name, strings.NewReader("data\n"))
		if err == nil {
			codes = append(codes, 226)
		} else {
			codes = append(codes, code(err))
		}
	}
	_ = c.Quit()
	return codes
}

func TestSessionsTranscriptsAndRules(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "t"}, scenarioText(secondStorFull))
	if got := uploadTwice(t, e.ftp.Addr()); len(got) != 2 || got[0] != 226 || got[1] != 452 {
		t.Fatalf("the client saw %v", got)
	}
	if _, err := e.ftp.WaitSessionEnd(1, clientTimeout); err != nil {
		t.Fatal(err)
	}
	var sessions struct {
		Sessions []struct {
			Number                   int
			Client, User, Reason     string
			Open, TLS                bool
			Commands, Failed, Fired  int
			Transfers                int
			BytesIn                  int64 `json:"bytes_in"`
			Start, End               time.Time
			Entries, FirstSeq, Count int
		}
	}
	if err := e.expect(200, "GET", "/api/sessions", "").jsonInto(&sessions); err != nil || len(sessions.Sessions) != 1 {
		t.Fatalf("sessions: %+v %v", sessions, err)
	}
	s := sessions.Sessions[0]
	if s.Number != 1 || !strings.HasPrefix(s.Client, "127.0.0.1:") || s.User != "alice" || s.Reason != "quit" || s.Open ||
		s.Failed != 1 || s.Fired != 1 || s.Transfers != 1 || s.BytesIn != 5 || s.Commands < 6 || !s.End.After(s.Start) {
		t.Fatalf("session 1: %+v", s)
	}

	var tr record.Transcript
	r := e.expect(200, "GET", "/api/sessions/1/transcript", "")
	if err := r.jsonInto(&tr); err != nil || len(tr.Sessions) != 1 {
		t.Fatalf("transcript: %v\n%s", err, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="session-1.json"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	var stor []string
	for _, ex := range tr.Sessions[0].Exchanges {
		if ex.Verb == "STOR" {
			f, _ := ex.Final()
			stor = append(stor, ex.Arg+" "+strings.TrimSpace(f.Raw))
		}
	}
	if strings.Join(stor, "|") != "a.txt 226 Closing transfer connection|b.txt 452 Insufficient storage space" {
		t.Errorf("the transcript's STORs: %q", stor)
	}
	text := string(e.expect(200, "GET", "/api/sessions/1/transcript?format=text", "").body)
	for _, want := range []string{"# mockftpd session 1 from 127.0.0.1:", "> STOR b.txt", `* rule "disk full" fired (firing 1)`, "< 452 Insufficient storage space", "* session ended: quit"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text transcript lacks %q:\n%s", want, text)
		}
	}
	e.expect(404, "GET", "/api/sessions/9/transcript", "")
	e.expect(400, "GET", "/api/sessions/x/scenario", "")
	e.expect(400, "GET", "/api/sessions/1/transcript?format=xml", "")

	var rules struct {
		State string
		Rules []struct {
			Label            string
			YAML             string
			Fires, Remaining int
			Times            int
		}
	}
	if err := e.expect(200, "GET", "/api/rules", "").jsonInto(&rules); err != nil || len(rules.Rules) != 1 {
		t.Fatalf("rules: %+v %v", rules, err)
	}
	if r := rules.Rules[0]; r.Label != "disk full" || r.Fires != 1 || r.Times != 3 || r.Remaining != 2 || !strings.Contains(r.YAML, "when: {command: STOR, nth: 2}") {
		t.Fatalf("rule: %+v", r)
	}
}

// TestSessionScenarioReplays: the scenario a session downloads makes a
// new mockftpd answer the same client the same way.
func TestSessionScenarioReplays(t *testing.T) {
	e := newEnv(t, admin.Options{}, scenarioText(secondStorFull))
	uploadTwice(t, e.ftp.Addr())
	if _, err := e.ftp.WaitSessionEnd(1, clientTimeout); err != nil {
		t.Fatal(err)
	}
	r := e.expect(200, "GET", "/api/sessions/1/scenario", "")
	if ct := r.header.Get("Content-Type"); ct != "application/yaml" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc, err := scenario.Parse("session-1.yaml", r.body)
	if err != nil {
		t.Fatalf("the session's scenario does not parse: %v\n%s", err, r.body)
	}
	if len(sc.Files) != 1 || sc.Files[0].Path != "/in/old.txt" {
		t.Errorf("files: %+v", sc.Files)
	}
	replay, err := server.Start(server.Config{Listen: "127.0.0.1:0", Scenario: sc})
	if err != nil {
		t.Fatalf("serving the session's scenario: %v\n%s", err, r.body)
	}
	defer func() { _ = replay.Close() }()
	if got := uploadTwice(t, replay.Addr()); len(got) != 2 || got[0] != 226 || got[1] != 452 {
		t.Fatalf("the replay answered %v, want [226 452]:\n%s", got, r.body)
	}
}

// streamReader reads a GET /api/events stream's events.
type streamReader struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

type streamEvent struct {
	Type  string
	Entry *struct {
		Session, Seq       int
		Command, Arg, Rule string
	}
	Sessions []struct {
		Number, Commands int
		Open             bool
	}
	Status *struct {
		State string
		OK    bool
		Rules []struct {
			Label string
			Fires int
		}
	}
	Cursor, Reason string
}

func (e *env) stream(cursor string) *streamReader {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.http.URL+"/api/events?cursor="+cursor, nil)
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		e.t.Fatalf("GET /api/events: %d %s", resp.StatusCode, resp.Header)
	}
	return &streamReader{t: e.t, resp: resp, r: bufio.NewReader(resp.Body)}
}

// until reads events until match says so; it returns the events read.
func (s *streamReader) until(what string, match func(ev streamEvent) bool) []streamEvent {
	s.t.Helper()
	var seen []streamEvent
	timer := time.AfterFunc(clientTimeout, func() { _ = s.resp.Body.Close() })
	defer timer.Stop()
	for {
		line, err := s.r.ReadBytes('\n')
		if err != nil {
			s.t.Fatalf("waiting for %s: %v; read %+v", what, err, seen)
		}
		var ev streamEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			s.t.Fatalf("a stream line that is not JSON: %q", line)
		}
		seen = append(seen, ev)
		if match(ev) {
			return seen
		}
	}
}

func TestEventsStream(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "t"}, scenarioText(secondStorFull))
	s := e.stream("")
	first := s.until("the first cursor", func(ev streamEvent) bool { return ev.Type == "cursor" })
	if first[0].Type != "reset" {
		t.Fatalf("the stream starts with %+v, want a reset", first[0])
	}
	uploadTwice(t, e.ftp.Addr())
	// the three come in the order the stream's batches put them: a session
	// that ended in the same batch as its last command shows ended before
	// the status with the rule's count
	var refused, counted, ended bool
	s.until("the 452 by the rule, the rule's fire count and the session's end", func(ev streamEvent) bool {
		if ev.Entry != nil && ev.Entry.Command == "STOR" && ev.Entry.Arg == "b.txt" && ev.Entry.Rule == "disk full" {
			refused = true
		}
		if ev.Status != nil && len(ev.Status.Rules) == 1 && ev.Status.Rules[0].Fires == 1 {
			counted = true
		}
		if len(ev.Sessions) == 1 && ev.Sessions[0].Number == 1 && !ev.Sessions[0].Open {
			ended = true
		}
		return refused && counted && ended
	})
	s.until("a cursor", func(ev streamEvent) bool { return ev.Type == "cursor" && ev.Cursor != "" })

	// a state set through the API shows without a journal entry
	e.expect(200, "PUT", "/api/state", `{"state": "down"}`, "Content-Type", "application/json")
	s.until("the new state", func(ev streamEvent) bool { return ev.Status != nil && ev.Status.State == "down" })

	// EndStreams ends it with a bye
	e.api.EndStreams()
	s.until("bye", func(ev streamEvent) bool { return ev.Type == "bye" && strings.Contains(ev.Reason, "shutting down") })
}

func TestEventsResume(t *testing.T) {
	e := newEnv(t, admin.Options{}, scenarioText(secondStorFull))
	s := e.stream("")
	var cursor string
	s.until("the first cursor", func(ev streamEvent) bool { cursor = ev.Cursor; return ev.Type == "cursor" })
	_ = s.resp.Body.Close()
	uploadTwice(t, e.ftp.Addr())
	if _, err := e.ftp.WaitSessionEnd(1, clientTimeout); err != nil {
		t.Fatal(err)
	}
	// resuming: only what changed after the cursor, no reset
	s = e.stream(cursor)
	got := s.until("the session's end", func(ev streamEvent) bool { return ev.Entry != nil && ev.Entry.Command == "<disconnect>" })
	if got[0].Type == "reset" || got[0].Entry == nil || got[0].Entry.Command != "<connect>" {
		t.Fatalf("a resumed stream starts with %+v", got[0])
	}
	// after a reset of the server, the cursor is stale: a reset comes
	e.expect(200, "POST", "/api/reset", "")
	s.until("the reset", func(ev streamEvent) bool { return ev.Type == "reset" })
	e.expect(400, "GET", "/api/events?cursor=nonsense", "")
	e.expect(400, "GET", "/api/events?limit=-1", "")
}

func TestPageAndItsFiles(t *testing.T) {
	e := newEnv(t, admin.Options{Token: "t"})
	uploadTwice(t, e.ftp.Addr())
	if _, err := e.ftp.WaitSessionEnd(1, clientTimeout); err != nil {
		t.Fatal(err)
	}
	get := func(path string, token bool) response {
		req, _ := http.NewRequest("GET", e.http.URL+path, nil)
		if token {
			req.Header.Set("Authorization", "Bearer t")
		}
		client := *e.http.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
		return response{code: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
	}
	shell := get("/ui/", false)
	if shell.code != 200 || !strings.Contains(string(shell.body), `data-token="required"`) || strings.Contains(string(shell.body), `data-session=`) {
		t.Fatalf("GET /ui/ without the token: %d\n%s", shell.code, shell.body)
	}
	csp := shell.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("the page's policy: %q", csp)
	}
	if full := get("/ui/", true); !strings.Contains(string(full.body), `data-session="1"`) || !strings.Contains(string(full.body), "alice") {
		t.Errorf("GET /ui/ with the token lists no session:\n%s", full.body)
	}
	for file, ctype := range map[string]string{"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8", "icon.svg": "image/svg+xml"} {
		if r := get("/ui/"+file, false); r.code != 200 || r.header.Get("Content-Type") != ctype || len(r.body) == 0 {
			t.Errorf("GET /ui/%s: %d %q", file, r.code, r.header.Get("Content-Type"))
		}
	}
	if r := get("/ui/index.html", false); r.code != 404 {
		t.Errorf("GET /ui/index.html: %d, want 404 (the template is served as /ui/ only)", r.code)
	}
	if r := get("/ui", false); r.code != http.StatusMovedPermanently || r.header.Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d %s", r.code, r.header.Get("Location"))
	}
	// the page's data needs the token
	e.expect(200, "GET", "/api/builtins", "")
	if r := get("/api/builtins", false); r.code != 401 {
		t.Errorf("GET /api/builtins without the token: %d", r.code)
	}
	r := e.expect(200, "GET", "/api/builtins/codes/452-stor", "")
	if _, err := scenario.Parse("452.yaml", r.body); err != nil {
		t.Errorf("a built-in scenario: %v", err)
	}
	e.expect(404, "GET", "/api/builtins/no-such", "")
}
