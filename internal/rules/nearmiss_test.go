package rules

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// TestNearMisses: the journal's commands no rule fired for get the nearest
// rule naming their verb, and why it did not fire.
func TestNearMisses(t *testing.T) {
	rt := newRuntime(mustParse(t, `version: 1
rules:
  - {name: reports only, when: {command: STOR, arg: {glob: "/out/*"}}, reply: 452}
  - {name: bob refused, when: {command: PASS, user: bob}, reply: 530}
`))
	entries := []journal.Entry{
		{Session: 1, Seq: 1, Command: "USER", Arg: "alice", User: "alice", Codes: []int{331}},
		{Session: 1, Seq: 2, Command: "STOR", Arg: "/out/report.csv", User: "alice", Codes: []int{452}, Rule: "reports only"},
		{Session: 2, Seq: 3, Command: journal.Connect},
		{Session: 2, Seq: 4, Command: "PASS", Arg: "x", User: "bob", Codes: []int{530}, Rule: "bob refused"},
		{Session: 3, Seq: 6, Command: "STOR", Arg: "/out/report.csv", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 7, Command: "STOR", Arg: "/tmp/x", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 8, Command: "LIST", User: "alice", Codes: []int{150, 226}},
		{Session: 3, Seq: 9, Command: "PASS", Arg: "z", User: "carol", Codes: []int{230}},
		{Session: 3, Seq: 10, Command: journal.Disconnect, Reason: journal.ReasonQuit},
	}
	// STOR /out/report.csv in session 3 matched the glob (it was not
	// journaled as fired, but is not near), STOR /tmp/x is near; PASS by
	// carol is near "bob refused".
	var got []string
	for _, n := range rt.NearMisses(entries) {
		got = append(got, n.Entry.Command+" "+n.Entry.Arg+" → "+n.Rule+": "+n.Why)
	}
	want := []string{
		"STOR /tmp/x → reports only: arg /tmp/x does not match glob /out/*",
		"PASS z → bob refused: user carol does not match bob",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("near misses:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestNearMissPaths: a rule on path misses a command on another path, or
// on none, and says so; a strict 502's entry keeps the near miss it was
// given then, with or without a nearest rule.
func TestNearMissPaths(t *testing.T) {
	rt := newRuntime(mustParse(t, `version: 1
rules:
  - {name: outbox, when: {command: [RETR, STAT], path: {glob: "/out/*"}}, reply: 550}
  - {name: one file, when: {command: DELE, path: /a.txt}, reply: 550}
`))
	entries := []journal.Entry{
		{Session: 1, Seq: 1, Command: "RETR", Arg: "x.csv", Path: "/in/x.csv"},
		{Session: 1, Seq: 2, Command: "STAT"},
		{Session: 1, Seq: 3, Command: "DELE", Arg: "b.txt", Path: "/b.txt"},
		{Session: 1, Seq: 4, Command: "MKD", Arg: "d", Path: "/d", Codes: []int{502}, NearMiss: &journal.NearMiss{Why: "no rule for MKD"}},
		{Session: 1, Seq: 5, Command: "DELE", Arg: "c", Path: "/c", Codes: []int{502}, NearMiss: &journal.NearMiss{Rule: "one file", Why: "path /c is not /a.txt"}},
	}
	var got []string
	for _, n := range rt.NearMisses(entries) {
		got = append(got, n.Entry.Command+" "+n.Entry.Arg+" → "+n.Rule+": "+n.Why)
	}
	want := []string{
		"RETR x.csv → outbox: path /in/x.csv does not match glob /out/*",
		"STAT  → outbox: STAT acts on no path, the rule wants a path",
		"DELE b.txt → one file: path /b.txt is not /a.txt",
		"MKD d → : no rule for MKD",
		"DELE c → one file: path /c is not /a.txt",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("near misses:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r, why, ok := rt.NearMiss(Request{Verb: "retr", Arg: "../in/y", Path: "/in/y"}, ""); !ok || r.Name != "outbox" || why != "path /in/y does not match glob /out/*" {
		t.Errorf("NearMiss: %v %q %v", r, why, ok)
	}
}

// TestNearMissesManyRules: with 100,000 rules naming the journal's verbs
// with other exact arguments, each command looks at a handful of rules:
// the nearest is the first with nothing but its argument against it.
func TestNearMissesManyRules(t *testing.T) {
	sc := scenario.New("many")
	for i := range 100_000 {
		b := scenario.On([]string{"STOR", "RETR"}[i%2]).Arg("/never/"+strconv.Itoa(i)).Reply(550, "")
		if i < 10 {
			b.User("bob")
		}
		sc.Rule(b)
	}
	rt := newRuntime(sc)
	entries := make([]journal.Entry, 10_000)
	for i := range entries {
		entries[i] = journal.Entry{Session: 1 + i%7, Seq: i + 1, Command: "STOR", Arg: "/f" + strconv.Itoa(i), User: "alice"}
	}
	ms := rt.NearMisses(entries)
	if len(ms) != len(entries) || ms[0].Rule != "rule #11" || ms[0].Why != "arg /f0 is not /never/10" {
		t.Fatalf("%d near misses, first %+v", len(ms), ms[0])
	}
}

// TestBuilderScenarioRuns runs a scenario made with every builder method.
func TestBuilderScenarioRuns(t *testing.T) {
	sc := scenario.New("disk-full").
		WithSeed(3).
		Rule(scenario.On("STOR").Nth(2).Global().Reply(452, "Insufficient storage space").Named("second upload fails")).
		Rule(scenario.OnConnect().Reply(120, "Wait").Reply(220, "Ready")).
		Rule(scenario.On("PASS").User("bob").Reply(530, "").Then(scenario.ThenClose)).
		Rule(scenario.On("RETR").Responses(scenario.Step{Replies: []scenario.Reply{{Code: 450}}}, scenario.PassStep()).Exhausted(scenario.ExhaustedRepeat)).
		Rule(scenario.On("LIST", "NLST").ArgGlob("/slow/*").Delay(3 * time.Second))
	s := newRuntime(sc).NewSession()
	if got := codes(s, "bob", "@connect", "STOR a", "STOR b", "PASS x", "RETR a", "RETR a", "RETR a"); got != "120 - 452 530 450 pass pass" {
		t.Errorf("run: %q", got)
	}
}

// FuzzRun runs whatever scenario parses: matching and near misses never
// panic. Seeds: the ready-made scenarios.
func FuzzRun(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenario.Parse("f.yaml", data)
		if err != nil {
			return
		}
		n, err := sc.Normalize()
		if err != nil {
			t.Fatalf("a parsed scenario does not normalize: %v", err)
		}
		rt := New(n)
		s := rt.NewSession()
		s.Match(Request{Event: scenario.EventConnect})
		for _, v := range []string{"USER", "PASS", "STOR", "RETR", "LIST", "QUIT", "XYZ"} {
			s.Match(Request{Verb: v, Arg: "/a/b.txt", User: "bob"})
			rt.NearMiss(Request{Verb: v, Arg: "/x"}, "alice")
		}
		rt.NearMisses([]journal.Entry{{Session: 1, Command: "RETR", Arg: "/y"}})
	})
}
