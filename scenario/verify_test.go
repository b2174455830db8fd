package scenario

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/journal"
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
	recs := []journal.Entry{
		{Session: 1, Seq: 1, Command: "USER", Arg: "alice", User: "alice", Codes: []int{331}},
		{Session: 1, Seq: 2, Command: "STOR", Arg: "/out/report.csv", User: "alice", Codes: []int{452}, Rule: "reports only"},
		{Session: 2, Seq: 3, Command: "USER", Arg: "bob", User: "bob", Codes: []int{331}},
		{Session: 2, Seq: 4, Command: "PASS", Arg: "x", User: "bob", Codes: []int{530}, Rule: "bob refused"},
		{Session: 2, Seq: 5, Command: "PASS", Arg: "y", User: "bob", Codes: []int{530}, Rule: "bob refused"},
		{Session: 3, Seq: 6, Command: "STOR", Arg: "/out/report.csv", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 7, Command: "STOR", Arg: "/tmp/x", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 8, Command: "LIST", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 9, Command: "PASS", Arg: "z", User: "carol", Codes: []int{230}},
	}
	rep := Verify(sc, recs)
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
	// a running server adds its rules' near misses to the report
	rep.Unmatched = []NearMiss{{Entry: recs[6], Rule: "reports only", Why: "arg /tmp/x does not match glob /out/*"}}
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
	rep := Verify(sc, []journal.Entry{
		{Session: 1, Seq: 2, Command: "QUIT", Codes: []int{221}},
		{Session: 1, Seq: 1, Command: "STOR", Arg: "/a", Codes: []int{150, 226}},
		{Session: 2, Seq: 3, Command: "NOOP", Codes: []int{421}},
		{Session: 2, Seq: 4, Command: "QUIT"}, // leaving after the failure is fine
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
	if rep := Verify(sc, nil); rep.OK || len(rep.Expectations) != 3 {
		t.Errorf("empty journal: %+v", rep)
	}
}

// TestVerifyManyEntries: 100,000 commands and 1,000 expectations are
// checked in one pass over the journal (an index by verb and argument), so
// this takes milliseconds, not minutes; it asserts the counts, not a time.
func TestVerifyManyEntries(t *testing.T) {
	sc := New("many")
	for i := range 1000 {
		sc.ExpectCommand("STOR", "/f"+strconv.Itoa(i), 100)
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	entries := make([]journal.Entry, 100_000)
	for i := range entries {
		entries[i] = journal.Entry{Session: 1, Seq: i + 1, Command: "STOR", Arg: "/f" + strconv.Itoa(i%1000), Codes: []int{226}}
	}
	rep := Verify(sc, entries)
	if !rep.OK || len(rep.Expectations) != 1000 || rep.Expectations[999].Count != 100 {
		t.Fatalf("report: ok %v, %d expectations", rep.OK, len(rep.Expectations))
	}
}

// TestVerifyPath: an expectation on path counts the commands that acted
// on it, whatever argument and working directory they were sent with.
func TestVerifyPath(t *testing.T) {
	sc := mustParse(t, `version: 1
expect:
  - {name: the report, command: STOR, path: /out/report.csv, times: 1}
  - {command: "*", path: {glob: "/out/**"}, at_least: 3}
  - {command: DELE, path: {regex: "\\.tmp$"}, times: 0}
`)
	recs := []journal.Entry{
		{Session: 1, Seq: 1, Command: "CWD", Arg: "out", Path: "/out", Codes: []int{250}},
		{Session: 1, Seq: 2, Command: "STOR", Arg: "report.csv", Path: "/out/report.csv", Codes: []int{150, 226}},
		{Session: 2, Seq: 3, Command: "STOR", Arg: "/in/report.csv", Path: "/in/report.csv", Codes: []int{150, 226}},
		{Session: 2, Seq: 4, Command: "DELE", Arg: "x.tmp", Path: "/in/x.tmp", Codes: []int{250}},
		{Session: 2, Seq: 5, Command: "NOOP", Codes: []int{200}},
	}
	rep := Verify(sc, recs)
	var got []string
	for _, e := range rep.Expectations {
		got = append(got, strconv.FormatBool(e.Met)+" "+e.Message)
	}
	want := []string{
		"true the report: expected STOR on path /out/report.csv exactly 1 time, saw 1 (session 1)",
		"false expected any command on path matching /out/** at least 3 times, saw 1 (session 1)",
		"false expected DELE on path matching regex \\.tmp$ exactly 0 times, saw 1 (session 2)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
