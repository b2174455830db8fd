package scenario

import (
	"strings"
	"testing"
)

// stepCases are the rows of the table at validator.step (combine.go): each
// combination of step fields either means something (want "") or is a
// located error (want: its message). No combination may drop a scripted
// reply silently.
var stepCases = []struct {
	name, rule, want string
}{
	{"reply", "when: {command: STOR}\nreply: 452", ""},
	{"reply then", "when: {command: USER}\nreply: 331\nthen: close", ""},
	{"then alone", "when: {command: USER}\nthen: reset", ""},
	{"nothing: pass", "when: {command: STOR}\ndelay: 1s", ""},
	{"pass then", "when: {command: QUIT}\npass: true\nthen: stall", ""},
	{"pass false alone", "when: {command: STOR}\npass: false", `"pass: false" with no reply and no then does nothing`},
	{"reply and pass", "when: {command: STOR}\nreply: 452\npass: true", `"pass: true" conflicts with "reply"`},
	{"reply and preliminary", "when: {command: RETR}\nreply: 450\npreliminary: 150", `"preliminary" applies only to a command passed on`},
	{"then and final", "when: {command: RETR}\nthen: close\nfinal: 226", `"final" applies only to a command passed on`},
	{"reply and data", "when: {command: RETR}\nreply: 450\ndata: {after: 1}", `"data" applies only to a command passed on`},
	{"preliminary on a transfer", "when: {command: [RETR, STOR, STOU, APPE, LIST, NLST, MLSD]}\npreliminary: 125", ""},
	{"preliminary on the greeting", "when: {event: connect}\npreliminary: 120\ndelay: 1s", ""},
	{"preliminary on MKD", "when: {command: [RETR, MKD]}\npreliminary: 150", `"preliminary" does not apply to MKD: it applies only to the transfer commands (APPE, LIST, MLSD, NLST, RETR, STOR, STOU), the only ones that get a 1xx reply`},
	{"preliminary on any command", "when: {user: bob}\npreliminary: 150", `"preliminary" applies only to the transfer commands (APPE, LIST, MLSD, NLST, RETR, STOR, STOU), the only ones that get a 1xx reply: name them in when.command`},
	{"preliminary on a custom command", "when: {command: XFOO}\npreliminary: 150", `"preliminary" does not apply to XFOO`},
	{"final on any command", "when: {command: [MKD, SIZE]}\nfinal: 550", ""},
	{"final on the greeting", "when: {event: connect}\nfinal: 220 Hi", ""},
	{"data on a connect rule", "when: {event: connect}\ndata: {after: 1}", `"data" does not apply to a connect rule`},
	{"data on a transfer", "when: {command: [RETR, LIST]}\ndata: {after: 1KiB, end: reset, rate: 1MiB}", ""},
	{"data on MKD", "when: {command: MKD}\ndata: {after: 1}", `"data" does not apply to MKD`},
	{"data on any command", "when: {state: s}\ndata: {rate: 100}", `"data" applies only to the transfer commands (APPE, LIST, MLSD, NLST, RETR, STOR, STOU): name them in when.command`},
	{"advertise on PASV", "when: {command: PASV}\ndata: {advertise_host: 10.0.0.1, advertise_port: 2000}", ""},
	{"advertise port on EPSV", "when: {command: EPSV}\ndata: {advertise_port: 2000}", ""},
	{"advertise host on EPSV", "when: {command: EPSV}\ndata: {advertise_host: 10.0.0.1}", `"advertise_host" does not apply to EPSV: it applies only to PASV`},
	{"advertise on RETR", "when: {command: RETR}\ndata: {advertise_port: 2000}", `"advertise_port" does not apply to RETR: it applies only to PASV and EPSV`},
	{"advertise with transfer faults", "when: {command: PASV}\ndata: {advertise_port: 2000, after: 5}", `"advertise_port" scripts the reply to PASV or EPSV, the other data faults a transfer command`},
	{"empty data", "when: {command: RETR}\ndata: {}", `an empty "data" does nothing`},
	{"end without after", "when: {command: RETR}\ndata: {end: reset, rate: 5}", `"end" applies only with "after"`},
	{"chunk_delay without chunk", "when: {command: RETR}\ndata: {chunk_delay: 1s, rate: 5}", `"chunk_delay" applies only with "chunk"`},
	{"refuse with after", "when: {command: RETR}\ndata: {refuse: close, after: 5}", `"refuse" never opens the data connection, so "after" does not apply`},
	{"refuse with delay_data", "when: {command: RETR}\ndata: {refuse: close, delay_data: 1s}", `"refuse" never opens the data connection, so "delay_data" does not apply`},
	{"refuse with preliminary", "when: {command: RETR}\npreliminary: 150\ndata: {refuse: close}", ""},
	{"refuse reset with preliminary and its delay", "when: {command: [RETR, STOR, LIST]}\npreliminary: 150 Here\ndata: {refuse: reset, delay_preliminary: 1s, reply: 522 No}", ""},
	{"refuse 425 with preliminary", "when: {command: RETR}\npreliminary: 150\ndata: {refuse: \"425\"}", ""},
	{"refuse with delay_preliminary", "when: {command: RETR}\ndata: {refuse: ignore, delay_preliminary: 1s}", `a refused data connection gets no 1xx reply of the server's, so "delay_preliminary" applies only with "preliminary"`},
	{"refuse with content", "when: {command: RETR}\ndata: {refuse: reset, content: x}", `"refuse" never opens the data connection, so "content" does not apply`},
	{"after 0", "when: {command: [RETR, STOR, LIST]}\ndata: {after: 0, end: reset, reply: 451 Cut}", ""},
	{"after 0 with preliminary and delays", "when: {command: RETR}\npreliminary: 125 Go\ndata: {after: 0, end: stall, delay_preliminary: 1s, delay_data: 2s}", ""},
	{"after 0 with rate", "when: {command: RETR}\ndata: {after: 0, rate: 5}", `"after: 0" ends the transfer before its first byte, so "rate" does not apply`},
	{"after 0 with content", "when: {command: RETR}\ndata: {after: 0, content: abc}", `"after: 0" ends the transfer before its first byte, so "content" does not apply`},
	{"after 0 with refuse", "when: {command: RETR}\ndata: {after: 0, refuse: close}", `"refuse" never opens the data connection, so "after" does not apply`},
	{"negative after", "when: {command: RETR}\ndata: {after: -1}", `a size must not be negative`},
	{"content on downloads and listings", "when: {command: [RETR, LIST, NLST, MLSD]}\ndata: {content: \"a\\r\\nb\\r\\n\", rate: 1, chunk: 1, corrupt: 3, delay_data: 1s}", ""},
	{"empty content", "when: {command: LIST}\npass: true\ndata: {content: \"\"}", ""},
	{"base64 content cut", "when: {command: RETR}\nfinal: 226 Done\ndata: {base64: AAEC/w==, after: 2, end: reset}", ""},
	{"content with after beyond it", "when: {command: RETR}\ndata: {content: abc, after: 4}", `the content has 3 bytes, so a cut after 4 would never come`},
	{"content on an upload", "when: {command: [RETR, STOR]}\ndata: {content: abc}", `"content" does not apply to STOR: it applies only to downloads and listings (LIST, MLSD, NLST, RETR): an upload's bytes come from the client`},
	{"content and base64", "when: {command: RETR}\ndata: {content: abc, base64: YWJj}", `give the data's bytes as "content" (text) or "base64" (binary), not both`},
	{"bad base64", "when: {command: RETR}\ndata: {base64: \"!!\"}", `invalid base64`},
	{"refuse with final", "when: {command: RETR}\nfinal: 425 No way\ndata: {refuse: \"425\", delay_final: 1s}", ""},
	{"data.reply after a cut", "when: {command: RETR}\ndata: {after: 5, reply: 451 Cut}", ""},
	{"data.reply after a refusal", "when: {command: STOR}\ndata: {refuse: ignore, reply: none}", ""},
	{"data.reply alone", "when: {command: RETR}\ndata: {reply: 451, rate: 5}", `"data.reply" replaces the final reply after a cut ("after") or a refusal ("refuse"), and this transfer has neither`},
	{"data.reply and final", "when: {command: RETR}\nfinal: 451\ndata: {after: 5, reply: 426}", `"final" replaces every final reply, so "data.reply" would never be sent: keep one`},
	{"keep_partial on a cut upload", "when: {command: [STOR, APPE]}\ndata: {after: 5, keep_partial: false}", ""},
	{"keep_partial without a cut", "when: {command: STOR}\ndata: {rate: 5, keep_partial: false}", `"keep_partial" applies only to an upload cut ("after") or refused ("refuse")`},
	{"keep_partial on a download", "when: {command: RETR}\ndata: {after: 5, keep_partial: true}", `"keep_partial" does not apply to RETR: it applies only to uploads (APPE, STOR, STOU)`},
	{"delay_final alone", "when: {command: LIST}\ndata: {delay_final: {min: 1s, max: 2s}}", ""},
	{"advertise and final", "when: {command: PASV}\nfinal: 227 x\ndata: {advertise_port: 2000}", `"final" replaces the reply that advertise_host and advertise_port rewrite: keep one`},
	{"final on a disabled command", "when: {command: MDTM}\nfinal: 213 x", `MDTM is disabled (settings.disable): it gets 502`},
	{"reply on a disabled command", "when: {command: MDTM}\nreply: 500 x", ""},
	{"delay on a disabled command", "when: {command: MDTM}\ndelay: 1s", ""},
	{"preliminary list", "when: {command: RETR}\npreliminary: [150 a, 150 b]", ""},
	{"final list", "when: {command: DELE}\npass: true\nfinal: [250 ok, 421 bye]\nthen: close", ""},
	{"final list with a bad reply", "when: {command: DELE}\nfinal: [250 ok, 700 x]", `expected a reply code between 100 and 699, got 700`},
	{"login on PASS", "when: {command: PASS}\nreply: 202\nlogin: true", ""},
	{"login as a user", "when: {command: [USER, ACCT, ADAT]}\nreply: 230\nlogin: alice", ""},
	{"login false", "when: {command: PASS}\nreply: 230\nlogin: false", ""},
	{"login on the greeting", "when: {event: connect}\nreply: 230 Hi\nlogin: true", ""},
	{"login on NOOP", "when: {command: NOOP}\nreply: 200\nlogin: true", `"login" does not apply to NOOP: it applies only to the greeting (event: connect) and USER, PASS, ACCT, ADAT`},
	{"login on any command", "when: {user: bob}\nreply: 230\nlogin: true", `"login" applies only to the greeting (event: connect) and USER, PASS, ACCT, ADAT: name them in when.command`},
	{"login with pass", "when: {command: PASS}\nfinal: 230\nlogin: true", `"login" applies to the step's own replies ("reply"): a command passed on is logged in (or not) by the server`},
	{"login without replies", "when: {command: PASS}\nthen: close\nlogin: true", `"login" needs the replies ("reply") that log the session in`},
	{"login as a bad name", "when: {command: PASS}\nreply: 230\nlogin: \"a b\"", `user name "a b" must not contain spaces`},
	{"login not a name", "when: {command: PASS}\nreply: 230\nlogin: 12", `expected true, false or a user name, got 12`},
	{"address in a passed PASV's final", "when: {command: [PASV, EPSV]}\npass: true\nfinal: 227 Entering Passive Mode ({address})", ""},
	{"address in a raw final", "when: {command: EPSV}\nfinal: {raw: \"229 ({address})\\r\\n\"}", ""},
	{"address in a reply", "when: {command: PASV}\nreply: 227 ({address})", `{address} stands for the address the server advertises, so it applies only to "final" (of a passed PASV or EPSV), not to "reply"`},
	{"address on RETR", "when: {command: RETR}\nfinal: 226 ({address})", `"{address}" does not apply to RETR: it applies only to the final reply of PASV and EPSV`},
}

func TestStepCombinations(t *testing.T) {
	for _, tc := range stepCases {
		t.Run(tc.name, func(t *testing.T) {
			src := "version: 1\nsettings: {custom_commands: [XFOO], disable: [MDTM]}\nrules:\n  - " + strings.ReplaceAll(tc.rule, "\n", "\n    ") + "\n"
			_, err := Parse("c.yaml", []byte(src))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("%s\nwant no error, got %v", src, err)
			case tc.want != "" && err == nil:
				t.Fatalf("%s\nno error, want %q", src, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("%s\ngot %v\nwant %q", src, err, tc.want)
			case tc.want != "" && !strings.HasPrefix(err.Error(), "c.yaml:"):
				t.Fatalf("not located: %v", err)
			}
		})
	}
}

// TestStepCombinationsInGo: a scenario built in Go gets the same checks.
func TestStepCombinationsInGo(t *testing.T) {
	err := New("go").Rule(On("MKD").Preliminary(150, "")).Rule(On("RETR").Final(451, "").Data(DataFault{After: new(int64(5)), Reply: &Reply{Code: 426}})).Validate()
	want := `go: rule #1: steps[0].preliminary: "preliminary" does not apply to MKD: it applies only to the transfer commands (APPE, LIST, MLSD, NLST, RETR, STOR, STOU), the only ones that get a 1xx reply
go: rule #2: steps[0].data.reply: "final" replaces every final reply, so "data.reply" would never be sent: keep one`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
