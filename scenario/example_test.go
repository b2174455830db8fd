package scenario_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

func ExampleNew() {
	sc := scenario.New("disk-full").
		Rule(scenario.On("STOR").Nth(2).Global().Reply(452, "Insufficient storage space")).
		Rule(scenario.OnConnect().Reply(120, "Wait").Reply(220, "Ready")).
		Rule(scenario.On("PASS").User("bob").Reply(530, "").Then(scenario.ThenClose)).
		Rule(scenario.On("RETR").Responses(scenario.ReplyStep(450, ""), scenario.PassStep()).Exhausted(scenario.ExhaustedRepeat))
	norm, err := sc.Normalize() // a validated copy with defaults: sc is left as it is
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range norm.Rules {
		st := r.Steps[0]
		what := "pass"
		if len(st.Replies) > 0 {
			what = fmt.Sprint(st.Replies[0].Code, " ", st.Replies[0].Text)
		}
		fmt.Println(r.Label(), r.When.Commands, "→", what)
	}
	// Output:
	// rule #1 [STOR] → 452 Insufficient storage space
	// rule #2 [] → 120 Wait
	// rule #3 [PASS] → 530 Not logged in.
	// rule #4 [RETR] → 450 Requested file action not taken. File unavailable.
}

func ExampleParse() {
	sc, err := scenario.Parse("slow.yaml", []byte(`
version: 1
rules:
  - when: {command: [LIST, NLST], arg: {glob: "/slow/*"}}
    delay: {min: 1s, max: 3s}
  - when: {command: STOR}
    reply: 452
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := sc.Rules[1]
	fmt.Println(r.Label(), r.When.Commands, r.Steps[0].Replies[0].Code, r.Steps[0].Replies[0].Text)
	fmt.Println(sc.Rules[0].Steps[0].Pass, sc.Rules[0].Steps[0].Delay.Max)
	// Output:
	// rule #2 [STOR] 452 Insufficient storage space in system.
	// true 3s
}

func ExampleParse_errors() {
	_, err := scenario.Parse("disk-full.yaml", []byte(`version: 1
rules:
  - when: {command: STOR, nth: 2, count: everywhere}
    reply: {cod: 452}
`))
	fmt.Println(err)
	// Output:
	// disk-full.yaml:3:42: unknown count "everywhere" (use session or global)
	// disk-full.yaml:4:13: unknown field "cod" in a reply (did you mean "code"?)
}

func ExampleVerify() {
	sc := scenario.New("upload once").ExpectCommand("STOR", "/out/report.csv", 1)
	rep := scenario.Verify(sc, []journal.Entry{
		{Session: 1, Seq: 1, Command: "STOR", Arg: "/out/report.csv", Codes: []int{150, 226}},
		{Session: 3, Seq: 2, Command: "STOR", Arg: "/out/report.csv", Codes: []int{150, 226}},
	})
	fmt.Println(rep.OK)
	fmt.Print(rep)
	// Output:
	// false
	// FAIL expected STOR /out/report.csv exactly 1 time, saw 2 (sessions 1, 3)
}

func ExampleScenario_Format() {
	sc := scenario.New("flaky").
		Rule(scenario.On("RETR").Arg("/pub/a.bin").Responses(scenario.ReplyStep(450, "File busy"), scenario.PassStep()))
	_ = sc.Validate()
	out, _ := sc.Format()
	fmt.Print(string(out))
	// Output:
	// version: 1
	// name: flaky
	// rules:
	//   - when: {command: RETR, arg: /pub/a.bin}
	//     responses:
	//       - {reply: 450 File busy}
	//       - {pass: true}
	//     exhausted: pass
}

func ExampleScenario_Normalize() {
	sc := scenario.New("defaults").
		Rule(scenario.On("stor").Reply(452, "")).
		Rule(scenario.On("RETR").Delay(time.Second))
	n, err := sc.Normalize() // a copy: sc is left as it is
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.Rules[0].When.Commands, n.Rules[0].Steps[0].Replies[0].Text)
	fmt.Println(n.Rules[1].Label(), "passes on:", n.Rules[1].Steps[0].Pass)
	fmt.Println(sc.Rules[0].When.Commands, sc.Rules[0].Steps[0].Replies[0].Text == "")
	// Output:
	// [STOR] Insufficient storage space in system.
	// rule #2 passes on: true
	// [stor] true
}

func ExampleScenario_MarshalJSON() {
	sc, _ := scenario.Parse("slow.yaml", []byte(`
version: 1
rules:
  - when: {command: LIST, arg: /slow}
    delay: 1.5s
    reply: 450 Busy
`))
	b, _ := json.Marshal(sc)
	fmt.Println(string(b))
	again, err := scenario.Parse("slow.json", b) // the model's JSON is a scenario file
	fmt.Println(err, again.Rules[0].Steps[0].Delay.Min)
	// Output:
	// {"version":1,"rules":[{"when":{"command":["LIST"],"arg":{"exact":"/slow"}},"delay":{"min":"1.5s"},"reply":[{"code":450,"text":"Busy"}]}]}
	// <nil> 1.5s
}

func ExampleParse_unknownCommand() {
	_, err := scenario.Parse("typo.yaml", []byte(`version: 1
rules:
  - when: {command: STORE}
    reply: 452
`))
	fmt.Println(err)
	_, err = scenario.Parse("custom.yaml", []byte(`version: 1
settings: {custom_commands: [XSTORE]}
rules:
  - when: {command: XSTORE}
    reply: 452
`))
	fmt.Println(err)
	// Output:
	// typo.yaml:3:21: unknown command "STORE" (did you mean "STOR"?): to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands
	// <nil>
}

func ExampleLookupVerb() {
	v, ok := scenario.LookupVerb("mlsd")
	fmt.Println(ok, v.Name, v.Spec, v.Transfer, v.Summary)
	// Output: true MLSD RFC 3659 true machine listing of a directory
}

func ExampleGeneratedAt() {
	// bytes near the end of a 1 PiB generated file, without generating the rest
	p := make([]byte, 4)
	scenario.GeneratedAt(42, 1<<50-4, p)
	r := scenario.GeneratedReader(42, 1<<50)
	q := make([]byte, 4)
	_, _ = r.ReadAt(q, 1<<50-4)
	fmt.Println(bytes.Equal(p, q))
	// Output: true
}

// A rule on path fires for the file a command acts on, however the client
// names it: CommandPath resolves it as the server does.
func ExampleCommandPath() {
	for _, c := range []struct{ verb, arg, cwd string }{
		{"RETR", "/data/export.csv", "/"},
		{"RETR", "export.csv", "/data"},
		{"LIST", "-la", "/data"},
		{"CDUP", "", "/data/2024"},
		{"NOOP", "", "/data"},
	} {
		p, ok := scenario.CommandPath(c.verb, c.arg, c.cwd)
		fmt.Printf("%s %q in %s: %q %v\n", c.verb, c.arg, c.cwd, p, ok)
	}
	// Output:
	// RETR "/data/export.csv" in /: "/data/export.csv" true
	// RETR "export.csv" in /data: "/data/export.csv" true
	// LIST "-la" in /data: "/data" true
	// CDUP "" in /data/2024: "/data" true
	// NOOP "" in /data: "" false
}

// Rules on the path a command acts on, a scripted login and the features
// of a recording's replay.
func ExampleRuleBuilder_Path() {
	sc := scenario.New("replay").
		Rule(scenario.On("RETR").Path("/data/export.csv").Reply(450, "File busy")).
		Rule(scenario.On("APPE").PathGlob("/logs/*").Reply(552, "")).
		Rule(scenario.On("PASS").Reply(202, "No password needed").Login()).
		Rule(scenario.On("PASV").Final(227, "Entering Passive Mode ({address})."))
	sc.Settings.Strict = true
	out, err := sc.Format()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// version: 1
	// name: replay
	// settings:
	//   strict: true
	// rules:
	//   - when: {command: RETR, path: /data/export.csv}
	//     reply: 450 File busy
	//   - when: {command: APPE, path: {glob: /logs/*}}
	//     reply: 552
	//   - when: {command: PASS}
	//     reply: 202 No password needed
	//     login: true
	//   - when: {command: PASV}
	//     final: 227 Entering Passive Mode ({address}).
}
