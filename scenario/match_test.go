package scenario

import (
	"fmt"
	"path"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustParse(t testing.TB, src string) *Scenario {
	t.Helper()
	sc, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return sc
}

// codes runs the commands ("VERB arg", or "@connect") through a session and
// returns, for each, the first reply code of the step that fired, "pass"
// for a passing step, or "-" when no rule fired.
func codes(s *Session, user string, cmds ...string) string {
	var out []string
	for _, c := range cmds {
		req := Request{User: user}
		if c == "@connect" {
			req.Event = EventConnect
		} else {
			req.Verb, req.Arg, _ = strings.Cut(c, " ")
		}
		d, ok := s.Match(req)
		switch {
		case !ok:
			out = append(out, "-")
		case d.Step.Pass:
			out = append(out, "pass")
		case len(d.Step.Replies) > 0:
			out = append(out, fmt.Sprint(d.Step.Replies[0].Code))
		default:
			out = append(out, string(d.Step.Then))
		}
	}
	return strings.Join(out, " ")
}

// matchCases are rule lists, and the outcome of commands sent in one
// session: the first reply code of the step that fired, "pass", the then
// of a step without reply, or "-" when no rule fired.
var matchCases = []struct {
	name  string
	rules string
	user  string
	cmds  []string
	want  string
}{
	{"one verb", `- {when: {command: STOR}, reply: 452}`, "",
		[]string{"STOR a", "RETR a", "stor b"}, "452 - 452"},
	{"several verbs", `- {when: {command: [LIST, NLST]}, reply: 450}`, "",
		[]string{"LIST", "NLST /x", "MLSD"}, "450 450 -"},
	{"any verb", `- {when: {command: "*"}, reply: 421}`, "",
		[]string{"USER a", "FOO"}, "421 421"},
	{"no when", `- {reply: 500}`, "",
		[]string{"NOOP", "@connect"}, "500 -"},
	{"connect event", `- {when: {event: connect}, reply: [120 Wait, 220 Ready]}`, "",
		[]string{"@connect", "USER a"}, "120 -"},
	{"arg exact", `- {when: {command: RETR, arg: /a.txt}, reply: 550}`, "",
		[]string{"RETR /a.txt", "RETR /b.txt", "RETR /a.txt2"}, "550 - -"},
	{"arg glob", `- {when: {command: RETR, arg: {glob: "/out/*.csv"}}, reply: 550}`, "",
		[]string{"RETR /out/a.csv", "RETR /out/sub/a.csv", "RETR /out/a.txt"}, "550 - -"},
	{"arg glob **", `- {when: {command: RETR, arg: {glob: "/out/**"}}, reply: 550}`, "",
		[]string{"RETR /out/a.csv", "RETR /out/sub/a.csv", "RETR /in/a"}, "550 550 -"},
	{"arg regex", `- {when: {command: CWD, arg: {regex: "^/te?mp"}}, reply: 550}`, "",
		[]string{"CWD /tmp/x", "CWD /temp", "CWD /x/tmp"}, "550 550 -"},
	{"empty arg", `- {when: {command: LIST, arg: ""}, reply: 550}`, "",
		[]string{"LIST", "LIST /x"}, "550 -"},
	{"user", `- {when: {command: STOR, user: bob}, reply: 532}`, "bob",
		[]string{"STOR a"}, "532"},
	{"other user", `- {when: {command: STOR, user: bob}, reply: 532}`, "alice",
		[]string{"STOR a"}, "-"},
	{"user glob", `- {when: {command: STOR, user: "guest*"}, reply: 532}`, "guest42",
		[]string{"STOR a"}, "532"},
	{"nth per session", `- {when: {command: STOR, nth: 2}, reply: 452}`, "",
		[]string{"STOR a", "RETR a", "STOR b", "STOR c"}, "- - 452 -"},
	{"nth counts only matching commands", `- {when: {command: STOR, arg: {glob: "*.csv"}, nth: 2}, reply: 452}`, "",
		[]string{"STOR a.csv", "STOR b.txt", "STOR c.csv"}, "- - 452"},
	{"nth counts even when an earlier rule fires", `
- {when: {command: STOR}, reply: 450, times: 1}
- {when: {command: STOR, nth: 2}, reply: 452}`, "",
		[]string{"STOR a", "STOR b", "STOR c"}, "450 452 -"},
	{"times", `- {when: {command: NOOP}, reply: 421, times: 2}`, "",
		[]string{"NOOP", "NOOP", "NOOP"}, "421 421 -"},
	{"first match wins", `
- {when: {command: RETR, arg: /a}, reply: 550}
- {when: {command: RETR}, reply: 450}
- {when: {command: "*"}, reply: 500}`, "",
		[]string{"RETR /a", "RETR /b", "STOR /a"}, "550 450 500"},
	{"times exhausted gives way to later rules", `
- {when: {command: RETR}, reply: 450, times: 1}
- {when: {command: RETR}, reply: 451}`, "",
		[]string{"RETR", "RETR"}, "450 451"},
	{"state and next_state", `
- {when: {command: QUIT}, next_state: down}
- {when: {command: "*", state: down}, reply: 421, then: close}`, "",
		[]string{"NOOP", "QUIT", "NOOP", "USER x"}, "- pass 421 421"},
	{"responses exhausted pass", `
- when: {command: RETR}
  responses: [{reply: 450}, {reply: 451}]
- {when: {command: RETR}, reply: 550}`, "",
		[]string{"RETR", "RETR", "RETR", "RETR"}, "450 451 550 550"},
	{"responses exhausted repeat", `
- when: {command: RETR}
  responses: [{reply: 450}, {pass: true}]
  exhausted: repeat`, "",
		[]string{"RETR", "RETR", "RETR"}, "450 pass pass"},
	{"responses exhausted cycle", `
- when: {command: RETR}
  responses: [{reply: 450}, {reply: 451}, {then: reset}]
  exhausted: cycle`, "",
		[]string{"RETR", "RETR", "RETR", "RETR", "RETR"}, "450 451 reset 450 451"},
	{"shorthand repeats", `- {when: {command: RETR}, reply: 450}`, "",
		[]string{"RETR", "RETR", "RETR"}, "450 450 450"},
	{"then without reply", `- {when: {command: STOR}, then: close}`, "",
		[]string{"STOR x"}, "close"},
}

func TestMatch(t *testing.T) {
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			sc := mustParse(t, "version: 1\nrules:\n"+indent(tc.rules))
			rt := NewRuntime(sc)
			if got := codes(rt.NewSession(), tc.user, tc.cmds...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestMatchSessions(t *testing.T) {
	sc := mustParse(t, `version: 1
rules:
  - {name: second session greeting, when: {event: connect, session: 2}, reply: 421, then: close}
  - {name: every third connection, when: {event: connect, nth: 3}, reply: 120}
  - {name: per session, when: {command: STOR, nth: 2}, reply: 452}
  - {name: global, when: {command: RETR, nth: 3, count: global}, reply: 451}
`)
	rt := NewRuntime(sc)
	s1, s2, s3 := rt.NewSession(), rt.NewSession(), rt.NewSession()
	if s1.Number() != 1 || s2.Number() != 2 || s3.Number() != 3 {
		t.Fatalf("numbers %d %d %d", s1.Number(), s2.Number(), s3.Number())
	}
	got := []string{
		codes(s1, "", "@connect", "STOR a", "RETR a"),
		codes(s2, "", "@connect", "STOR a", "RETR a"),
		codes(s3, "", "@connect", "STOR a", "STOR b", "RETR a", "RETR b"),
		codes(s1, "", "STOR c"),
	}
	want := []string{"- - -", "421 - -", "120 - 452 451 -", "452"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMatchDecision(t *testing.T) {
	sc := mustParse(t, `version: 1
rules:
  - {name: flaky, when: {command: RETR}, reply: 450, times: 3}
`)
	rt := NewRuntime(sc)
	s := rt.NewSession()
	for i := 1; i <= 3; i++ {
		d, ok := s.Match(Request{Verb: "retr", Arg: "x"})
		if !ok || d.Fire != i || d.Rule.Name != "flaky" || d.Rule != &rt.Scenario().Rules[0] {
			t.Fatalf("firing %d: %+v %v", i, d, ok)
		}
		if d.Step.Replies[0].Text != "Requested file action not taken. File unavailable." {
			t.Errorf("default text %q", d.Step.Replies[0].Text)
		}
	}
	if _, ok := s.Match(Request{Verb: "RETR"}); ok {
		t.Error("fired a 4th time")
	}
}

func TestProbabilityReproducible(t *testing.T) {
	src := `version: 1
seed: %d
rules:
  - {when: {command: MKD, probability: 0.3}, reply: 550}
`
	run := func(seed int) string {
		rt := NewRuntime(mustParse(t, fmt.Sprintf(src, seed)))
		s := rt.NewSession()
		var b strings.Builder
		for range 200 {
			if _, ok := s.Match(Request{Verb: "MKD", Arg: "d"}); ok {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Error("same seed, different draws")
	}
	if a == c {
		t.Error("different seeds, same draws")
	}
	if n := strings.Count(a, "x"); n < 35 || n > 85 {
		t.Errorf("fired %d times in 200 at p=0.3", n)
	}
	// Reset replays the same draws.
	rt := NewRuntime(mustParse(t, fmt.Sprintf(src, 42)))
	first := codes(rt.NewSession(), "", "MKD a", "MKD b", "MKD c", "MKD d", "MKD e", "MKD f")
	rt.Reset()
	if again := codes(rt.NewSession(), "", "MKD a", "MKD b", "MKD c", "MKD d", "MKD e", "MKD f"); again != first {
		t.Errorf("after Reset %q, before %q", again, first)
	}
}

func TestDelay(t *testing.T) {
	rt := NewRuntime(mustParse(t, "version: 1\nseed: 9\n"))
	if d := rt.Delay(DelaySpec{Min: time.Second}); d != time.Second {
		t.Errorf("fixed delay %v", d)
	}
	var first []time.Duration
	for range 50 {
		d := rt.Delay(DelaySpec{Min: 100 * time.Millisecond, Max: 2 * time.Second})
		if d < 100*time.Millisecond || d > 2*time.Second {
			t.Fatalf("delay %v out of range", d)
		}
		first = append(first, d)
	}
	rt.Reset()
	for i := range 50 {
		if d := rt.Delay(DelaySpec{Min: 100 * time.Millisecond, Max: 2 * time.Second}); d != first[i] {
			t.Fatalf("draw %d after Reset: %v, want %v", i, d, first[i])
		}
	}
}

func TestRuntimeStateAndReset(t *testing.T) {
	rt := NewRuntime(mustParse(t, `version: 1
rules:
  - {when: {command: QUIT}, next_state: down, times: 1}
  - {when: {state: down}, reply: 421, then: close}
`))
	s := rt.NewSession()
	codes(s, "", "QUIT")
	if rt.State() != "down" {
		t.Fatalf("state %q", rt.State())
	}
	rt.SetState("")
	if got := codes(s, "", "NOOP"); got != "-" {
		t.Errorf("after SetState: %q", got)
	}
	rt.SetState("down")
	if got := codes(s, "", "NOOP"); got != "421" {
		t.Errorf("after SetState(down): %q", got)
	}
	rt.Reset()
	if rt.State() != "" {
		t.Error("Reset kept the state")
	}
	s = rt.NewSession()
	if s.Number() != 1 {
		t.Errorf("first session after Reset is %d", s.Number())
	}
	if got := codes(s, "", "QUIT", "NOOP"); got != "pass 421" {
		t.Errorf("after Reset: %q", got)
	}
}

func TestRuntimeReplacePrependClear(t *testing.T) {
	rt := NewRuntime(mustParse(t, `version: 1
rules:
  - {when: {command: STOR, nth: 2, count: global}, reply: 452}
`))
	s := rt.NewSession()
	codes(s, "", "STOR a")
	rt.Replace(mustParse(t, `version: 1
name: second
rules:
  - {when: {command: STOR, nth: 2, count: global}, reply: 552}
`))
	if rt.Scenario().Name != "second" {
		t.Fatal("Replace did not swap the scenario")
	}
	// counters restart for the new rules: the next STOR is the first again
	if got := codes(s, "", "STOR b", "STOR c"); got != "- 552" {
		t.Errorf("after Replace: %q", got)
	}
	if n := rt.NewSession().Number(); n != 2 {
		t.Errorf("session numbering restarted: %d", n)
	}

	err := rt.PrependRule(On("STOR").Arg("/x").Reply(553, "").Build())
	if err != nil {
		t.Fatal(err)
	}
	sc := rt.Scenario()
	if len(sc.Rules) != 2 || sc.Rules[0].When.Arg.Exact != "/x" || sc.Rules[1].Index != 1 {
		t.Fatalf("PrependRule: %+v", sc.Rules)
	}
	if got := codes(s, "", "STOR /x", "STOR d"); got != "553 -" {
		t.Errorf("after PrependRule: %q", got)
	}
	err = rt.PrependRule(On("STOR").Reply(99, "").Build())
	if err == nil || !strings.Contains(err.Error(), "expected a reply code between 100 and 699, got 99") {
		t.Errorf("PrependRule of a bad rule: %v", err)
	}
	rt.ClearRules()
	if got := codes(s, "", "STOR /x"); got != "-" || len(rt.Scenario().Rules) != 0 {
		t.Errorf("after ClearRules: %q", got)
	}
}

// TestConcurrentGlobalNth: 20 goroutines send STOR at once; exactly the 5th
// and the 10th (counted globally) get 452 and 552, everything else passes.
func TestConcurrentGlobalNth(t *testing.T) {
	rt := NewRuntime(mustParse(t, `version: 1
rules:
  - {when: {command: STOR, nth: 5, count: global}, reply: 452}
  - {when: {command: STOR, nth: 10, count: global}, reply: 552}
  - {when: {command: RETR}, responses: [{reply: 450}, {reply: 451}], exhausted: pass}
  - {when: {command: DELE}, reply: 550, times: 7}
`))
	const workers, per = 20, 50
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := rt.NewSession()
			local := map[string]int{}
			for range per {
				for _, v := range []string{"STOR", "RETR", "DELE"} {
					d, ok := s.Match(Request{Verb: v, Arg: "/f"})
					key := v + " -"
					if ok {
						key = fmt.Sprintf("%s %d", v, d.Step.Replies[0].Code)
					}
					local[key]++
				}
			}
			mu.Lock()
			for k, n := range local {
				counts[k] += n
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	total := workers * per
	want := map[string]int{
		"STOR 452": 1, "STOR 552": 1, "STOR -": total - 2,
		"RETR 450": 1, "RETR 451": 1, "RETR -": total - 2,
		"DELE 550": 7, "DELE -": total - 7,
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
}

func TestNearMiss(t *testing.T) {
	rt := NewRuntime(mustParse(t, `version: 1
rules:
  - {name: out only, when: {command: STOR, arg: {glob: "/out/*"}}, reply: 452}
  - {name: bob only, when: {command: RETR, user: bob, arg: /a.txt}, reply: 550}
  - {name: when down, when: {command: NOOP, state: down}, reply: 421}
  - {name: go down, when: {command: QUIT}, next_state: down}
  - {name: second, when: {command: DELE, nth: 2}, reply: 550}
`))
	tests := []struct {
		req  Request
		rule string
		why  string
	}{
		{Request{Verb: "STOR", Arg: "/a.txt"}, "out only", "arg /a.txt does not match glob /out/*"},
		{Request{Verb: "RETR", Arg: "/a.txt", User: "alice"}, "bob only", "user alice does not match bob"},
		{Request{Verb: "RETR", Arg: "/b.txt"}, "bob only", "arg /b.txt is not /a.txt; no user is logged in, the rule is for user bob"},
		{Request{Verb: "NOOP"}, "when down", "the scenario is in the initial state, the rule needs state down"},
		{Request{Verb: "DELE", Arg: "x"}, "second", "the rule fires only on the 2nd matching command (counted in its session)"},
	}
	for _, tc := range tests {
		r, why, ok := rt.NearMiss(tc.req, "")
		if !ok || r.Label() != tc.rule || why != tc.why {
			t.Errorf("NearMiss(%+v) = %v, %q, %v; want %s, %q", tc.req, r, why, ok, tc.rule, tc.why)
		}
	}
	if _, _, ok := rt.NearMiss(Request{Verb: "MKD"}, ""); ok {
		t.Error("near miss for a verb no rule names")
	}
	if r, _, ok := rt.NearMiss(Request{Verb: "RETR", Arg: "/a.txt", User: "alice"}, "bob"); ok {
		t.Errorf("user argument not used: %v", r.Label())
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, s string
		want    bool
	}{
		{"/a/*", "/a/b", true}, {"/a/*", "/a/b/c", false}, {"/a/**", "/a/b/c", true},
		{"**.csv", "/x/y.csv", true}, {"/a/?", "/a/b", true}, {"/a/?", "/a/bc", false},
		{"[a-c]x", "bx", true}, {"[^a-c]x", "dx", true}, {"[^a-c]x", "ax", false},
		{`\*`, "*", true}, {`\*`, "a", false}, {"a.b", "axb", false}, {"(x)", "(x)", true},
		{"CHMOD **", "CHMOD 755 /a/b", true}, {"", "", true}, {"", "a", false},
	} {
		re, err := compileGlob(tc.glob)
		if err != nil {
			t.Errorf("%q: %v", tc.glob, err)
			continue
		}
		if got := re.MatchString(tc.s); got != tc.want {
			t.Errorf("glob %q on %q = %v", tc.glob, tc.s, got)
		}
		if !strings.Contains(tc.glob, "**") {
			if pm, _ := path.Match(tc.glob, tc.s); pm != tc.want {
				t.Errorf("path.Match disagrees on %q %q", tc.glob, tc.s)
			}
		}
	}
}

func benchRuntime(b *testing.B, others int) *Session {
	sc := &Scenario{Version: 1}
	for i := range others {
		sc.Rules = append(sc.Rules, On(fmt.Sprintf("X%d", i)).Arg("/nope").Reply(550, "").Build())
	}
	sc.Rules = append(sc.Rules, On("STOR").ArgGlob("/out/*").Reply(452, "").Build())
	if err := sc.Validate(); err != nil {
		b.Fatal(err)
	}
	return NewRuntime(sc).NewSession()
}

func benchMatch(b *testing.B, others int) {
	s := benchRuntime(b, others)
	req := Request{Verb: "STOR", Arg: "/out/a.csv", User: "alice"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok := s.Match(req); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatch1Rule(b *testing.B) { benchMatch(b, 0) }
