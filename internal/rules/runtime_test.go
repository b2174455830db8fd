package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mockftpd/mockftpd/scenario"
)

func mustParse(t testing.TB, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(src))
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
	cwd := "/"
	for _, c := range cmds {
		req := Request{User: user}
		switch {
		case c == "@connect":
			req.Event = scenario.EventConnect
		case strings.HasPrefix(c, "@cwd "): // the working directory of the commands after it
			cwd = strings.TrimPrefix(c, "@cwd ")
			continue
		default:
			req.Verb, req.Arg, _ = strings.Cut(c, " ")
			req.Path, _ = scenario.CommandPath(req.Verb, req.Arg, cwd)
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

func TestMatch(t *testing.T) {
	cases := loadMatchCases(t)
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			sc := mustParse(t, "version: 1\nrules:\n"+indent(tc.Rules))
			rt := newRuntime(sc)
			if got := codes(rt.NewSession(), tc.User, tc.Cmds...); got != tc.Want {
				t.Errorf("got %q, want %q", got, tc.Want)
			}
		})
	}
}

// matchCase is one case of testdata/match-cases.yaml.
type matchCase struct {
	Name, Rules, User, Want string
	Cmds                    []string
}

func loadMatchCases(t *testing.T) []matchCase {
	b, err := os.ReadFile(filepath.Join("testdata", "match-cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []matchCase
	if err := yaml.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
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
	rt := newRuntime(sc)
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
	rt := newRuntime(sc)
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
		rt := newRuntime(mustParse(t, fmt.Sprintf(src, seed)))
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
	rt := newRuntime(mustParse(t, fmt.Sprintf(src, 42)))
	first := codes(rt.NewSession(), "", "MKD a", "MKD b", "MKD c", "MKD d", "MKD e", "MKD f")
	rt.Reset()
	if again := codes(rt.NewSession(), "", "MKD a", "MKD b", "MKD c", "MKD d", "MKD e", "MKD f"); again != first {
		t.Errorf("after Reset %q, before %q", again, first)
	}
}

func TestDelay(t *testing.T) {
	rt := newRuntime(mustParse(t, "version: 1\nseed: 9\n"))
	if d := rt.Delay(scenario.DelaySpec{Min: time.Second}); d != time.Second {
		t.Errorf("fixed delay %v", d)
	}
	var first []time.Duration
	for range 50 {
		d := rt.Delay(scenario.DelaySpec{Min: 100 * time.Millisecond, Max: 2 * time.Second})
		if d < 100*time.Millisecond || d > 2*time.Second {
			t.Fatalf("delay %v out of range", d)
		}
		first = append(first, d)
	}
	rt.Reset()
	for i := range 50 {
		if d := rt.Delay(scenario.DelaySpec{Min: 100 * time.Millisecond, Max: 2 * time.Second}); d != first[i] {
			t.Fatalf("draw %d after Reset: %v, want %v", i, d, first[i])
		}
	}
}

func TestRuntimeStateAndReset(t *testing.T) {
	rt := newRuntime(mustParse(t, `version: 1
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
	rt := newRuntime(mustParse(t, `version: 1
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

	err := rt.PrependRule(scenario.On("STOR").Arg("/x").Reply(553, "").Build())
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
	err = rt.PrependRule(scenario.On("STOR").Reply(99, "").Build())
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
	rt := newRuntime(mustParse(t, `version: 1
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
	rt := newRuntime(mustParse(t, `version: 1
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

func benchRuntime(b *testing.B, others int) *Session {
	sc := &scenario.Scenario{Version: 1}
	for i := range others {
		sc.Rules = append(sc.Rules, scenario.On(fmt.Sprintf("X%d", i)).Arg("/nope").Reply(550, "").Build())
	}
	sc.Rules = append(sc.Rules, scenario.On("STOR").ArgGlob("/out/*").Reply(452, "").Build())
	if err := sc.Validate(); err != nil {
		b.Fatal(err)
	}
	return newRuntime(sc).NewSession()
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

// newRuntime normalizes sc and starts a runtime for it.
func newRuntime(sc *scenario.Scenario) *Runtime {
	n, err := sc.Normalize()
	if err != nil {
		panic(err)
	}
	return New(n)
}
