package scenario_test

import (
	"fmt"

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
