package scenario

import (
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	sc := mustParse(t, `version: 1
rules:
  - {name: reports only, when: {command: STOR, arg: {glob: "/out/*"}}, reply: 452}
  - {name: bob refused, when: {command: PASS, user: bob}, reply: 530}
expect:
  - {command: STOR, arg: /out/report.csv, times: 1}
  - {command: QUIT}
  - {name: no retry after 530, no_command_after: 530}
  - {command: RETR, at_least: 1, at_most: 2}
  - {command: LIST, user: "al*", at_most: 0}
`)
	rt := NewRuntime(sc)
	recs := []Record{
		{Session: 1, Seq: 1, Verb: "USER", Arg: "alice", User: "alice", Codes: []int{331}},
		{Session: 1, Seq: 2, Verb: "STOR", Arg: "/out/report.csv", User: "alice", Codes: []int{452}, Rule: "reports only"},
		{Session: 2, Seq: 3, Verb: "USER", Arg: "bob", User: "bob", Codes: []int{331}},
		{Session: 2, Seq: 4, Verb: "PASS", Arg: "x", User: "bob", Codes: []int{530}, Rule: "bob refused"},
		{Session: 2, Seq: 5, Verb: "PASS", Arg: "y", User: "bob", Codes: []int{530}, Rule: "bob refused"},
		{Session: 3, Seq: 6, Verb: "STOR", Arg: "/out/report.csv", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 7, Verb: "STOR", Arg: "/tmp/x", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 8, Verb: "LIST", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 9, Verb: "PASS", Arg: "z", User: "carol", Codes: []int{230}},
	}
	rep := Verify(sc, rt, recs)
	if rep.OK {
		t.Error("report OK")
	}
	want := []struct {
		met   bool
		count int
		msg   string
	}{
		{false, 2, "expected STOR /out/report.csv exactly 1 time, saw 2 (sessions 1, 3)"},
		{false, 0, "expected QUIT at least once, saw none"},
		{false, 1, "no retry after 530: expected no command after a 530 reply, saw PASS y after PASS x got 530 in session 2"},
		{false, 0, "expected RETR between 1 and 2 times, saw none"},
		{false, 1, "expected LIST by al* at most 0 times, saw 1 (session 3)"},
	}
	if len(rep.Expectations) != len(want) {
		t.Fatalf("%d results", len(rep.Expectations))
	}
	for i, w := range want {
		got := rep.Expectations[i]
		if got.Met != w.met || got.Count != w.count || got.Message != w.msg {
			t.Errorf("expectation %d: %v %d %q, want %v %d %q", i, got.Met, got.Count, got.Message, w.met, w.count, w.msg)
		}
	}
	if ev := rep.Expectations[0].Evidence; len(ev) != 2 || ev[0].Seq != 2 || ev[1].Seq != 6 {
		t.Errorf("evidence %+v", ev)
	}
	// near misses: STOR /out/report.csv in session 3 matched the glob (it
	// was not journaled as fired, but is not near), STOR /tmp/x is near;
	// PASS by carol is near "bob refused".
	var got []string
	for _, n := range rep.Unmatched {
		got = append(got, n.Record.Verb+" "+n.Record.Arg+" → "+n.Rule+": "+n.Why)
	}
	wantNear := []string{
		"STOR /tmp/x → reports only: arg /tmp/x does not match glob /out/*",
		"PASS z → bob refused: user carol does not match bob",
	}
	if strings.Join(got, "\n") != strings.Join(wantNear, "\n") {
		t.Errorf("near misses:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantNear, "\n"))
	}
	s := rep.String()
	for _, frag := range []string{"FAIL expected QUIT at least once, saw none", "note: STOR /tmp/x (session 3) matched no rule; nearest is reports only"} {
		if !strings.Contains(s, frag) {
			t.Errorf("report text lacks %q:\n%s", frag, s)
		}
	}
}

func TestVerifyMet(t *testing.T) {
	sc := New("ok").ExpectCommand("STOR", "/a", 1).ExpectCommand("quit", "", -1).
		Expecting(Expectation{NoCommandAfter: 421})
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	rep := Verify(sc, nil, []Record{
		{Session: 1, Seq: 2, Verb: "QUIT", Codes: []int{221}},
		{Session: 1, Seq: 1, Verb: "STOR", Arg: "/a", Codes: []int{150, 226}},
		{Session: 2, Seq: 3, Verb: "NOOP", Codes: []int{421}},
		{Session: 2, Seq: 4, Verb: "QUIT"}, // leaving after the failure is fine
	})
	if !rep.OK {
		t.Fatalf("not OK:\n%s", rep)
	}
	if m := rep.Expectations[0].Message; m != "expected STOR /a exactly 1 time, saw 1 (session 1)" {
		t.Errorf("message %q", m)
	}
	if m := rep.Expectations[2].Message; m != "expected no command after a 421 reply, saw none" {
		t.Errorf("message %q", m)
	}
	if rep := Verify(nil, NewRuntime(sc), nil); rep.OK || len(rep.Expectations) != 3 {
		t.Errorf("runtime's scenario not used: %+v", rep)
	}
}
