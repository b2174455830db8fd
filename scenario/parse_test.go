package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestParseFull(t *testing.T) {
	sc, err := Load("testdata/examples/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Version != 1 || sc.Name != "disk-full-second-upload" || sc.Seed != 42 || len(sc.Users) != 1 || len(sc.Files) != 5 || len(sc.Rules) != 10 || len(sc.Expect) != 3 {
		t.Fatalf("bad scenario: %+v", sc)
	}
	if f := sc.Files[2]; f.Size != 10<<20 || f.Seed != 42 {
		t.Errorf("big file: %+v", f)
	}
	if s := sc.Settings; s.IdleTimeout.Std() != 2*time.Second || s.Disable[1] != "MLSD" || s.Syst != "UNIX Type: L8" {
		t.Errorf("settings: %+v", s)
	}
	r := sc.Rules
	if r[0].Name != "second upload fails" || r[0].When.Nth != 2 || r[0].When.Count != Global || r[0].Steps[0].Replies[0] != (Reply{Code: 452, Text: "Insufficient storage space"}) {
		t.Errorf("rule 1: %+v", r[0])
	}
	if r[0].Pos != "testdata/examples/full.yaml:21:5" || r[1].Index != 1 {
		t.Errorf("pos %q index %d", r[0].Pos, r[1].Index)
	}
	if len(r[1].Steps[0].Replies) != 2 || r[1].When.Event != EventConnect {
		t.Errorf("connect rule: %+v", r[1])
	}
	if s := r[2].Steps[0]; s.Then != ThenClose || s.Replies[0].Text != "Not logged in" || s.Pass {
		t.Errorf("then close: %+v", s)
	}
	if s := r[3].Steps[0]; !s.Pass || s.Delay.Min != 3*time.Second || r[3].When.Arg.Glob != "/slow/*" || len(r[3].When.Commands) != 2 {
		t.Errorf("delay only: %+v", r[3])
	}
	if len(r[4].Steps) != 3 || r[4].Exhausted != ExhaustedPass || !r[4].Steps[2].Pass {
		t.Errorf("responses: %+v", r[4])
	}
	if s := r[5].Steps[0]; !s.Pass || len(s.Final) != 1 || s.Final[0].Code != 451 || *s.Data.After != 1<<20 || s.Data.End != EndReset || s.Data.Reply != nil {
		t.Errorf("data: %+v %+v", s, s.Data)
	}
	if rp := r[6].Steps[0].Replies[0]; rp.Raw != "200-broken multi-line with no end\r\n" || rp.Code != 200 {
		t.Errorf("raw: %+v", rp)
	}
	if len(r[7].When.Commands) != 0 || r[7].When.State != "down" {
		t.Errorf("any command: %+v", r[7].When)
	}
	if r[8].NextState != "down" || r[8].Times != 1 || !r[8].Steps[0].Pass {
		t.Errorf("next_state: %+v", r[8])
	}
	if d := r[9].Steps[0].Delay; d.Min != 100*time.Millisecond || d.Max != 2*time.Second || r[9].When.Probability != 0.3 {
		t.Errorf("delay range: %+v", r[9])
	}
	if e := sc.Expect[0]; e.Command != "STOR" || e.Arg.Exact != "/out/report.csv" || *e.Exactly != 1 {
		t.Errorf("expect: %+v", e)
	}
	if sc.Expect[2].NoCommandAfter != 530 {
		t.Errorf("no_command_after: %+v", sc.Expect[2])
	}
}

func TestParseJSON(t *testing.T) {
	sc, err := Load("testdata/examples/flaky-download.json")
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Rules
	if len(r) != 3 || r[0].Exhausted != ExhaustedRepeat || r[0].Steps[1].Delay.Min != 250*time.Millisecond {
		t.Fatalf("rules: %+v", r)
	}
	if d := r[1].Steps[0].Data; d.Reply == nil || d.Reply.Code != 0 || d.Reply.Raw != "" || *d.KeepPartial || *d.After != 64<<10 {
		t.Errorf("data none: %+v", d)
	}
	if sc.Files[1].ModTime != time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) {
		t.Errorf("modtime %v", sc.Files[1].ModTime)
	}
	// JSON errors are located too (tabs and all).
	_, err = Parse("s.json", []byte("{\n\t\"version\": 1,\n\t\"rules\": [{\"when\": {\"comand\": \"RETR\"}}]\n}"))
	if err == nil || err.Error() != `s.json:3:22: unknown field "comand" in a "when" pattern (did you mean "command"?)` {
		t.Errorf("JSON error: %v", err)
	}
}

func TestParseAliasesAndMerge(t *testing.T) {
	sc := mustParse(t, `version: 1
x-busy: &busy {reply: 450 Busy, times: 2}
x-retr: &retr {command: [RETR, SIZE]}
rules:
  - <<: *busy
    when: *retr
  - <<: [*busy]
    when: {command: STOR}
    times: 5
`)
	r := sc.Rules
	if len(r) != 2 || r[0].Times != 2 || r[1].Times != 5 || r[0].Steps[0].Replies[0].Text != "Busy" || len(r[0].When.Commands) != 2 {
		t.Errorf("rules: %+v", r)
	}
	if _, err := Parse("t.yaml", []byte("version: 1\nrules:\n  - <<: {bogus: 1}\n    when: {}\n")); err == nil || err.Error() != `t.yaml:3:10: unknown field "bogus" in a rule` {
		t.Errorf("merge error: %v", err)
	}
}

func TestParseMisc(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "t.yaml:1:1: empty scenario: it needs at least \"version: 1\""},
		{"# just a comment\n", "t.yaml:1:1: empty scenario: it needs at least \"version: 1\""},
		{"version: 1\nfiles:\n  - {path: /a, size: 1.5KiB}\n  - {path: /b, size: 0.3}\n", "t.yaml:4:22: size \"0.3\" is not a whole number of bytes"},
		{"version: 1\nrules:\n  - when: {command: RETR, probability: 0}\n", "t.yaml:3:40: expected a probability greater than 0 and at most 1, got 0"},
		{"version: 1\nsettings: {idle_timout: 1s}\n", "t.yaml:2:12: unknown field \"idle_timout\" in settings (did you mean \"idle_timeout\"?)"},
		{"version: 1\nrules:\n  - when: {command: RETR}\n    reply: ~\n", "t.yaml:4:12: expected a reply like \"452 Insufficient storage space\", a code, or {code: 452, text: \"...\"}, got nothing (null)"},
		{"version: 1\nrules:\n  - when: {command: RETR}\n    data: {reply: nothing}\n", "t.yaml:4:19: expected a reply like \"452 Insufficient storage space\", a code, or {code: 452, text: \"...\"}, or none, got \"nothing\""},
		{"version: 1\nseed: 1\nrulez: []\n", "t.yaml:3:1: unknown field \"rulez\" in a scenario (did you mean \"rules\"?)"},
		{"version: 1\nbogus: 1\n", "t.yaml:2:1: unknown field \"bogus\" in a scenario"},
	} {
		_, err := Parse("t.yaml", []byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\ngot  %v\nwant %s", tc.in, err, tc.want)
		}
	}
	if sc, err := Parse("", []byte("version: 1\nfiles: [{path: /a, size: 1.5KiB}]")); err != nil || sc.Files[0].Size != 1536 || sc.Source != "<string>" {
		t.Errorf("1.5KiB: %v %+v", err, sc)
	}
}

func TestParseErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for range 30 {
		b.WriteString("  - {when: {command: STOR}, reply: 99}\n")
	}
	_, err := Parse("t.yaml", []byte(b.String()))
	list, ok := err.(ErrorList)
	if !ok || len(list) != MaxErrors+1 || list[MaxErrors].Msg != "too many errors (10 more not shown)" {
		t.Fatalf("got %d errors: %v", len(list), err)
	}
}

func TestParseAliasBomb(t *testing.T) {
	src := `version: 1
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
rules:
  - when: {command: *g}
`
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}
