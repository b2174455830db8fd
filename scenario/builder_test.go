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

// TestBuilderReplay: the builder's paths, logins and reply lists.
func TestBuilderReplay(t *testing.T) {
	sc, err := New("replay").
		Rule(On("RETR").Path("/data/export.csv").Reply(450, "busy")).
		Rule(On("LIST").PathGlob("/pub/**").Preliminary(150, "a").Preliminary(150, "b").Final(226, "c").Final(421, "d")).
		Rule(On("DELE").PathRegex(`\.tmp$`).Reply(550, "")).
		Rule(On("PASS").Reply(202, "").Login()).
		Rule(On("ACCT").Reply(230, "").LoginAs("alice")).
		Rule(On("USER").Reply(230, "").NoLogin()).
		Rule(On("PASV").Final(227, "Entering Passive Mode ({address})")).
		ExpectPath("RETR", "/data/export.csv", -1).
		Normalize()
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Rules
	if r[0].When.Path.Exact != "/data/export.csv" || r[1].When.Path.Glob != "/pub/**" || r[2].When.Path.Regex != `\.tmp$` {
		t.Errorf("paths: %+v %+v %+v", r[0].When.Path, r[1].When.Path, r[2].When.Path)
	}
	if st := r[1].Steps[0]; !st.Pass || len(st.Preliminary) != 2 || len(st.Final) != 2 || st.Final[1].Text != "d" {
		t.Errorf("lists: %+v", st)
	}
	if *r[3].Steps[0].Login != (Login{}) || r[4].Steps[0].Login.User != "alice" || !r[5].Steps[0].Login.Off {
		t.Errorf("logins: %+v %+v %+v", r[3].Steps[0].Login, r[4].Steps[0].Login, r[5].Steps[0].Login)
	}
	if e := sc.Expect[0]; e.Path.Exact != "/data/export.csv" || e.Exactly != nil {
		t.Errorf("expectation: %+v", e)
	}
	if err := New("bad").Rule(On("PASS").Reply(230, "").LoginAs("")).Rule(On("RETR").Path("")).Validate(); err == nil ||
		!strings.Contains(err.Error(), "LoginAs needs a user name") || !strings.Contains(err.Error(), "Path needs a path") {
		t.Errorf("builder errors: %v", err)
	}
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
bad: rule #3: Responses cannot be combined with Reply, Delay, Pass, Preliminary, Final, Then, Data or Login
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
