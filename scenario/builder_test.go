package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestBuilder(t *testing.T) {
	sc := New("disk-full").
		Describe("second upload fails").
		WithSeed(3).
		User("alice", "secret").
		UserHome("bob", "pw", "/bob").
		File("/pub/readme.txt", []byte("hello\n")).
		File("/pub/logo.bin", []byte{0x89, 'P', 'N', 'G', 0}).
		GeneratedFile("/pub/big.bin", 1<<20).
		Dir("/incoming").
		Banner("Welcome").
		Disable("epsv").
		Rule(On("STOR").Nth(2).Global().Reply(452, "Insufficient storage space").Named("second upload fails")).
		Rule(OnConnect().Reply(120, "Wait").Reply(220, "Ready")).
		Rule(On("PASS").User("bob").Reply(530, "").Then(ThenClose)).
		Rule(On("RETR").Responses(Step{Replies: []Reply{{Code: 450}}}, PassStep()).Exhausted(ExhaustedRepeat)).
		Rule(On("LIST", "NLST").ArgGlob("/slow/*").Delay(3*time.Second)).
		Rule(On("RETR").Arg("/pub/big.bin").Final(451, "Local error").Data(DataFault{After: new(int64(1 << 20)), End: EndReset})).
		Rule(On("MKD").Probability(0.3).DelayRange(100*time.Millisecond, 2*time.Second).Reply(550, "Random failure")).
		Rule(On("QUIT").NextState("down").Times(1)).
		Rule(On().State("down").Reply(421, "").Then(ThenClose)).
		Rule(On("NOOP").ReplyRaw("200-broken\r\n")).
		Rule(On("NLST").ArgRegex("^/te?mp").Session(2).Preliminary(125, "")).
		ExpectCommand("STOR", "/out/report.csv", 1)
	sc, err := sc.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Rules
	if r[0].Label() != "second upload fails" || r[1].Label() != "rule #2" || r[2].Steps[0].Replies[0].Text != "Not logged in." {
		t.Errorf("labels or default text: %q %q %q", r[0].Label(), r[1].Label(), r[2].Steps[0].Replies[0].Text)
	}
	if !r[4].Steps[0].Pass || r[4].Steps[0].Delay.Min != 3*time.Second {
		t.Errorf("delay-only step: %+v", r[4].Steps[0])
	}
	if r[7].Steps[0].Pass != true || r[3].Exhausted != ExhaustedRepeat || r[3].Steps[0].Replies[0].Text == "" {
		t.Errorf("defaults not filled: %+v %+v", r[7], r[3])
	}
	if r[9].Steps[0].Replies[0].Code != 200 {
		t.Errorf("raw reply code not read: %+v", r[9].Steps[0].Replies[0])
	}
	if sc.Files[1].Base64 == "" || sc.Files[2].Seed != 3 || sc.Settings.Disable[0] != "EPSV" {
		t.Errorf("files or settings: %+v %+v", sc.Files, sc.Settings)
	}
	// (internal/rules runs this scenario: TestBuilderScenarioRuns)
}

func TestBuilderErrors(t *testing.T) {
	sc := New("bad").
		Rule(On("STOR").Named("too big").Reply(700, "")).
		Rule(On("RETR").ArgRegex("a(").Times(0)).
		Rule(On("LIST").Reply(450, "").Responses(PassStep())).
		Rule(On("NLST").Exhausted(ExhaustedCycle)).
		Rule(OnConnect().User("bob").Data(DataFault{})).
		Rule(On("RETR").Pass().Reply(550, ""))
	err := sc.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	want := `bad: rule "too big": steps[0].reply[0]: expected a reply code between 100 and 699, got 700
bad: rule #2: Times must be 1 or more
bad: rule #2: when.arg.regex: invalid regex "a(": missing closing ): ` + "`a(`" + `
bad: rule #3: Responses cannot be combined with Reply, Delay, Pass, Preliminary, Final, Then or Data
bad: rule #4: Exhausted applies only with Responses
bad: rule #5: when.user: a connect rule matches before anyone logs in: remove "user"
bad: rule #5: steps[0].data: "data" does not apply to a connect rule
bad: rule #6: steps[0].pass: "pass: true" conflicts with "reply": a step either replies itself or passes the command on`
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
	if !strings.Contains(err.Error(), "rule #2") {
		t.Error("no label")
	}
}
