package record_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/record"
	"github.com/mockftpd/mockftpd/scenario"
)

// rep makes a reply from its lines ("211-a\n b\n211 c"), CRLF ended.
func rep(lines string) record.Reply {
	return record.Reply{Code: int(lines[0]-'0')*100 + int(lines[1]-'0')*10 + int(lines[2]-'0'), Raw: strings.ReplaceAll(lines, "\n", "\r\n") + "\r\n"}
}

// ex makes an exchange; replies are given as for rep.
func ex(verb, arg, cwd string, replies ...string) *record.Exchange {
	e := &record.Exchange{Verb: verb, Arg: arg, Cwd: cwd}
	for _, r := range replies {
		e.Replies = append(e.Replies, rep(r))
	}
	return e
}

// transfer gives an exchange the bytes of its data connection.
func transfer(e *record.Exchange, data string) *record.Exchange {
	e.Transfer = &record.Transfer{Mode: "EPSV", Size: int64(len(data)), Data: []byte(data)}
	return e
}

// session makes a session whose exchanges happened a millisecond apart,
// user names following USER.
func session(n int, exs ...*record.Exchange) *record.Session {
	s := &record.Session{Number: n, Started: time.Date(2024, 1, 1, 0, n, 0, 0, time.UTC), Ended: time.Date(2024, 1, 1, 0, n, 1, 0, time.UTC)}
	user := ""
	for i, e := range exs {
		e.At = time.Duration(i) * time.Millisecond
		if e.Verb == "USER" {
			user = e.Arg
		}
		if e.Verb != "" {
			e.User = user
		}
		s.Exchanges = append(s.Exchanges, e)
	}
	return s
}

func login(user string) []*record.Exchange {
	return []*record.Exchange{
		ex("", "", "/", "220 Welcome"),
		ex("USER", user, "/", "331 Password please"),
		ex("PASS", "s3cret", "/", "230 In"),
	}
}

func rules(t *testing.T, rec *scenario.Scenario, verb string) []scenario.Rule {
	t.Helper()
	var out []scenario.Rule
	for _, r := range rec.Rules {
		if verb == "" && len(r.When.Commands) == 0 || len(r.When.Commands) == 1 && r.When.Commands[0] == verb {
			out = append(out, r)
		}
	}
	return out
}

// The same one-line greeting in every session is the banner; greetings
// that differ are a connect rule with the responses in turn.
func TestScenarioGreeting(t *testing.T) {
	same := &record.Transcript{Upstream: "h:21", Sessions: []*record.Session{session(1, login("a")...), session(2, login("a")...)}}
	rec := record.Scenario(same, record.Options{})
	if rec.Settings.Banner != "Welcome" || len(rules(t, rec, "")) != 0 {
		t.Fatalf("banner %q, rules %+v", rec.Settings.Banner, rec.Rules)
	}

	differ := &record.Transcript{Upstream: "h:21", Sessions: []*record.Session{
		session(1, ex("", "", "/", "220-You are user 1\n220 Hi")),
		session(2, ex("", "", "/", "220-You are user 2\n220 Hi")),
	}}
	rec = record.Scenario(differ, record.Options{})
	g := rec.Rules[0]
	if g.When.Event != scenario.EventConnect || len(g.Steps) != 2 || g.Exhausted != scenario.ExhaustedRepeat || rec.Settings.Banner != "" {
		t.Fatalf("greeting rule %+v", g)
	}
	if r := g.Steps[1].Replies[0]; r.Code != 220 || r.Text != "You are user 2\nHi" {
		t.Fatalf("second greeting %+v", r)
	}
}

// FEAT and SYST in the form mockftpd writes become settings; FEAT in
// another form stays a rule with the raw reply.
func TestScenarioFeatAndSyst(t *testing.T) {
	tr := &record.Transcript{Sessions: []*record.Session{session(1, append(login("a"),
		ex("FEAT", "", "/", "211-Features:\n EPSV\n MDTM\n211 End"),
		ex("SYST", "", "/", "215 UNIX Type: L8"))...)}}
	rec := record.Scenario(tr, record.Options{})
	if strings.Join(rec.Settings.Features, ",") != "EPSV,MDTM" || rec.Settings.Syst != "UNIX Type: L8" {
		t.Fatalf("settings %+v", rec.Settings)
	}
	if len(rules(t, rec, "FEAT"))+len(rules(t, rec, "SYST")) != 0 {
		t.Fatal("FEAT or SYST kept a rule")
	}

	tr = &record.Transcript{Sessions: []*record.Session{session(1, append(login("a"),
		ex("FEAT", "", "/", "211-Extensions supported:\n EPSV\n211 End."))...)}}
	rec = record.Scenario(tr, record.Options{})
	feat := rules(t, rec, "FEAT")
	if len(feat) != 1 || feat[0].Steps[0].Replies[0].Raw != "211-Extensions supported:\r\n EPSV\r\n211 End.\r\n" {
		t.Fatalf("FEAT rule %+v", feat)
	}
}

// One argument naming several paths (LIST in two folders) makes the
// verb's rules match paths; listings are kept byte for byte.
func TestScenarioPathRules(t *testing.T) {
	tr := &record.Transcript{Sessions: []*record.Session{session(1, append(login("a"),
		transfer(ex("LIST", "", "/", "150 Here", "226 Done"), "drwxr-xr-x 2 0 0 4096 Jan 02  2024 pub\r\n"),
		ex("CWD", "pub", "/", "250 Changed"),
		transfer(ex("LIST", "", "/pub", "150 Here", "226 Done"), "-rw-r--r-- 1 0 0 6 Jan 02  2024 a.txt\r\n"),
		transfer(ex("LIST", "-la", "/pub", "150 Here", "226 Done"), "-rw-r--r-- 1 0 0 6 Jan 02  2024 a.txt\r\n"),
		ex("RETR", "a.txt", "/pub", "550 No"),
	)...)}}
	rec := record.Scenario(tr, record.Options{})
	list := rules(t, rec, "LIST")
	if len(list) != 2 || list[0].When.Path.Exact != "/" || list[1].When.Path.Exact != "/pub" || list[0].When.Arg != nil {
		t.Fatalf("LIST rules %+v", list)
	}
	if len(list[1].Steps) != 1 || *list[1].Steps[0].Data.Content != "-rw-r--r-- 1 0 0 6 Jan 02  2024 a.txt\r\n" || !list[1].Steps[0].Pass {
		t.Fatalf("LIST /pub (LIST and LIST -la got the same) %+v", list[1])
	}
	retr := rules(t, rec, "RETR")
	if len(retr) != 1 || retr[0].When.Path != nil || retr[0].When.Arg == nil || retr[0].When.Arg.Exact != "a.txt" {
		t.Fatalf("RETR keeps its argument: %+v", retr)
	}
	if r := retr[0].Steps[0]; r.Pass || r.Replies[0].Code != 550 {
		t.Fatalf("an error is scripted, not passed: %+v", r)
	}
	cwd := rules(t, rec, "CWD")
	if len(cwd) != 1 || !cwd[0].Steps[0].Pass || cwd[0].Steps[0].Final[0].Text != "Changed" {
		t.Fatalf("a successful CWD passes with the recorded text: %+v", cwd)
	}
}

// Replies that change over time become responses in turn; PORT matches
// any address; a rule for any argument comes after the rules of its verb
// for one argument.
func TestScenarioResponsesAndOrder(t *testing.T) {
	tr := &record.Transcript{Sessions: []*record.Session{session(1, append(login("a"),
		ex("SIZE", "up.txt", "/", "550 Could not get file size."),
		ex("PORT", "127,0,0,1,4,1", "/", "200 PORT command successful."),
		ex("STAT", "", "/", "211 All fine"),
		ex("STOR", "up.txt", "/", "150 Go", "226 Done"),
		ex("PORT", "127,0,0,1,4,2", "/", "200 PORT command successful."),
		ex("SIZE", "up.txt", "/", "213 3"),
		ex("STAT", "/", "/", "213-Status\n213 End"),
	)...)}}
	rec := record.Scenario(tr, record.Options{})
	size := rules(t, rec, "SIZE")
	if len(size) != 1 || len(size[0].Steps) != 2 || size[0].Exhausted != scenario.ExhaustedRepeat || size[0].Steps[1].Replies[0].Text != "3" {
		t.Fatalf("SIZE %+v", size)
	}
	port := rules(t, rec, "PORT")
	if len(port) != 1 || port[0].When.Arg != nil || len(port[0].Steps) != 1 || !port[0].Steps[0].Pass {
		t.Fatalf("PORT %+v", port)
	}
	stat := rules(t, rec, "STAT")
	if len(stat) != 2 || stat[0].When.Arg == nil || stat[1].When.Arg != nil {
		t.Fatalf("STAT / must come before STAT: %+v", stat)
	}
}

// Passwords are masked unless asked for; with them the working logins
// are users.
func TestScenarioPasswords(t *testing.T) {
	tr := &record.Transcript{Sessions: []*record.Session{
		session(1, login("alice")...),
		session(2, ex("", "", "/", "220 Welcome"), ex("USER", "alice", "/", "331 Password please"), ex("PASS", "wrong", "/", "530 Login incorrect.")),
	}}
	rec := record.Scenario(tr, record.Options{})
	pass := rules(t, rec, "PASS")
	if len(pass) != 1 || pass[0].When.User != "alice" || pass[0].When.Arg != nil || len(pass[0].Steps) != 2 {
		t.Fatalf("PASS %+v", pass)
	}
	y, _ := rec.Format()
	if strings.Contains(string(y), "s3cret") || len(rec.Users) != 0 {
		t.Fatalf("a password was written:\n%s", y)
	}

	rec = record.Scenario(tr, record.Options{KeepPasswords: true})
	pass = rules(t, rec, "PASS")
	if len(pass) != 2 || pass[0].When.Arg.Exact != "s3cret" || pass[1].When.Arg.Exact != "wrong" {
		t.Fatalf("PASS with passwords %+v", pass)
	}
	if len(rec.Users) != 1 || rec.Users[0] != (scenario.User{Name: "alice", Password: "s3cret"}) {
		t.Fatalf("users %+v", rec.Users)
	}
}

// The tree is what the clients saw before they changed it: listed and
// downloaded files, empty folders; not what they uploaded or renamed.
func TestScenarioFiles(t *testing.T) {
	bin := string([]byte{0, 1, 2, 0xff})
	tr := &record.Transcript{Sessions: []*record.Session{session(1, append(login("a"),
		ex("STOR", "new.txt", "/pub", "150 Go", "226 Done"),
		transfer(ex("LIST", "/pub", "/", "150 Here", "226 Done"),
			"total 3\r\n-rw-r--r-- 1 0 0 6 Jan 02  2024 a.txt\r\n-rw-r--r-- 1 0 0 4 Jan 02  2024 b.bin\r\n"+
				"-rw-r--r-- 1 0 0 2 Jan 02  2024 new.txt\r\n-rw-r--r-- 1 0 0 9 Jan 02  2024 old name.txt\r\n"+
				"drwxr-xr-x 2 0 0 4096 Jan 02  2024 empty\r\nlrwxrwxrwx 1 0 0 5 Jan 02  2024 link -> a.txt\r\n"),
		transfer(ex("RETR", "/pub/a.txt", "/", "150 Here", "226 Done"), "hello\n"),
		transfer(ex("RETR", "/pub/b.bin", "/", "150 Here", "226 Done"), bin),
		ex("MDTM", "/pub/a.txt", "/", "213 20240102030405"),
		ex("RNFR", "/pub/old name.txt", "/", "350 Ready"),
		ex("RNTO", "/pub/renamed.txt", "/", "250 Renamed"),
		transfer(ex("RETR", "/pub/renamed.txt", "/", "150 Here", "226 Done"), "after"),
		ex("SIZE", "/pub/big.iso", "/", "213 5000000"),
	)...)}}
	rec := record.Scenario(tr, record.Options{MaxFileBytes: 100})
	got := map[string]scenario.File{}
	for _, f := range rec.Files {
		got[f.Path] = f
	}
	want := map[string]scenario.File{
		"/pub/a.txt":        {Path: "/pub/a.txt", Content: "hello\n", ModTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		"/pub/b.bin":        {Path: "/pub/b.bin", Base64: "AAEC/w=="},
		"/pub/old name.txt": {Path: "/pub/old name.txt", Size: 9},
		"/pub/empty":        {Path: "/pub/empty", Dir: true},
		"/pub/big.iso":      {Path: "/pub/big.iso", Size: 5000000},
	}
	if len(got) != len(want) {
		t.Errorf("files %+v, want %+v", rec.Files, want)
	}
	for p, w := range want {
		if g := got[p]; g.Path != w.Path || g.Content != w.Content || g.Base64 != w.Base64 || g.Size != w.Size || g.Dir != w.Dir || !g.ModTime.Equal(w.ModTime) {
			t.Errorf("%s = %+v, want %+v", p, g, w)
		}
	}
}

// -keep-timing makes the upstream's delays rule delays (the median, when
// a rule fires several times alike); short ones are the network's.
func TestScenarioTiming(t *testing.T) {
	slow := func(d time.Duration) *record.Exchange {
		e := ex("NOOP", "", "/", "200 OK")
		e.Replies[0].After = d
		return e
	}
	tr := &record.Transcript{Sessions: []*record.Session{session(1, append(login("a"), slow(100*time.Millisecond), slow(300*time.Millisecond), slow(200*time.Millisecond))...)}}
	if r := rules(t, record.Scenario(tr, record.Options{}), "NOOP"); !r[0].Steps[0].Delay.IsZero() {
		t.Fatalf("delay %v without -keep-timing", r[0].Steps[0].Delay)
	}
	r := rules(t, record.Scenario(tr, record.Options{KeepTiming: true}), "NOOP")
	if len(r[0].Steps) != 1 || r[0].Steps[0].Delay.Min != 200*time.Millisecond {
		t.Fatalf("NOOP %+v", r)
	}
	if r := rules(t, record.Scenario(tr, record.Options{KeepTiming: true}), "PASS"); !r[0].Steps[0].Delay.IsZero() {
		t.Fatalf("a 2ms delay was kept: %v", r[0].Steps[0].Delay)
	}
}

// The YAML is a scenario file that parses back rule for rule, the verbs
// outside mockftpd's catalogue named as custom commands.
func TestScenarioYAMLParses(t *testing.T) {
	tr := &record.Transcript{Upstream: "h:21", Sessions: []*record.Session{session(1, append(login("a"),
		ex("CWD", "/pub", "/", "250 OK"),
		ex("SITE", "HELP", "/pub", "214-Help\n CHMOD\n214 End"),
		ex("RETR", "missing.txt", "/pub", "550 Failed to open file."),
		ex("NOOP", "", "/pub", "200 "),
		ex("PRET", "RETR missing.txt", "/pub", "200 Ready"),
		ex("QUIT", "", "/pub", "221 Bye"),
	)...)}}
	rec := record.Scenario(tr, record.Options{})
	y, err := rec.Format()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("recorded.yaml", y)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	byVerb := map[string]scenario.Rule{}
	for _, r := range sc.Rules {
		byVerb[r.When.Commands[0]] = r
	}
	if st := byVerb["SITE"].Steps[0]; !st.Pass || len(st.Final) != 1 || st.Final[0].Raw != "214-Help\r\n CHMOD\r\n214 End\r\n" {
		t.Errorf("SITE %+v", st)
	}
	if st := byVerb["NOOP"].Steps[0]; st.Replies[0].Raw != "200 \r\n" {
		t.Errorf("an empty text must stay empty: %+v", st)
	}
	if st := byVerb["QUIT"].Steps[0]; !st.Pass || len(st.Final) != 1 || st.Final[0].Text != "Bye" || st.Final[0].Code != 221 {
		t.Errorf("QUIT %+v", st)
	}
	if !reflect.DeepEqual(sc.Settings.CustomCommands, []string{"PRET"}) {
		t.Errorf("custom commands %q", sc.Settings.CustomCommands)
	}
	if sc.Settings.Banner != "Welcome" {
		t.Errorf("banner %q", sc.Settings.Banner)
	}
	if r := byVerb["USER"]; r.When.Arg == nil || r.When.Arg.Exact != "a" {
		t.Errorf("USER %+v", r.When)
	}
}
