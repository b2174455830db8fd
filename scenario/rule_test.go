package scenario

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	r, err := ParseRule("<rule>", []byte("when: {command: stor, nth: 2}\nreply: 452 Disk full\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.When.Commands[0] != "STOR" || r.When.Nth != 2 || r.Steps[0].Replies[0].Code != 452 || r.Pos != "<rule>:1:1" {
		t.Fatalf("rule %+v", r)
	}
	if _, err := ParseRule("", []byte("{\"when\": {\"command\": \"RETR\"},\n\t\"then\": \"close\"}"), nil); err != nil {
		t.Fatalf("JSON with a tab: %v", err)
	}
	for _, c := range []struct{ body, want string }{
		{"when: {command: STOR}\nrepy: 452\n", `<rule>:2:1: unknown field "repy" in a rule (did you mean "reply"?)`},
		{"- when: {command: STOR}\n", "<rule>:1:1: send one rule"},
		{"", "<rule>:1:1: empty rule"},
		{"when: {command: STOR, state: dwon}\nreply: 452\n", `<rule>:1:30: state "dwon" is never set`},
		{"when: {command: STOR}\nreply: 99 nope\n", "<rule>:2:8: "},
	} {
		_, err := ParseRule("<rule>", []byte(c.body), withStates("down"))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q…", c.body, err, c.want)
		}
	}
	if _, err := ParseRule("<rule>", []byte("when: {command: STOR, state: down}\nreply: 452\n"), withStates("down")); err != nil {
		t.Fatalf("a known state: %v", err)
	}
}

// withStates is a scenario whose rules move to states.
func withStates(states ...string) *Scenario {
	sc := New("states")
	for _, s := range states {
		sc.Rule(On("NOOP").NextState(s))
	}
	return sc
}

// FuzzParseRule: any body gets a rule or located errors, never a panic.
func FuzzParseRule(f *testing.F) {
	f.Add([]byte("when: {command: STOR}\nreply: 452 Disk full\n"), "down")
	f.Add([]byte("{\"when\": {\"command\": \"RETR\"},\n\t\"then\": \"close\"}"), "")
	f.Add([]byte("- a\n- b\n"), "x")
	f.Add([]byte("when: {state: dwon}\n"), "down")
	f.Fuzz(func(t *testing.T, body []byte, state string) {
		_, err := ParseRule("<rule>", body, withStates(state))
		if err == nil {
			return
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error without location: %v", err)
		}
		for _, e := range list {
			if e.File != "<rule>" || e.Line < 1 || e.Col < 0 { // YAML syntax errors carry a line only
				t.Fatalf("badly located error %+v", e)
			}
		}
	})
}
