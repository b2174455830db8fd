package scenario

import (
	"strings"
	"testing"
)

// TestVerbCatalogue: every command of the RFCs and extensions the catalogue
// claims is there, once, with its properties.
func TestVerbCatalogue(t *testing.T) {
	for spec, names := range map[string]string{
		"RFC 959":  "USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST RNFR RNTO ABOR DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP",
		"RFC 2228": "AUTH ADAT PROT PBSZ CCC MIC CONF ENC",
		"RFC 2389": "FEAT OPTS",
		"RFC 2428": "EPRT EPSV",
		"RFC 3659": "MDTM SIZE MLST MLSD",
		"RFC 7151": "HOST",
		"RFC 775":  "XCWD XCUP XMKD XRMD XPWD",
	} {
		for _, n := range strings.Fields(names) {
			v, ok := LookupVerb(strings.ToLower(n))
			if !ok || v.Spec != spec || v.Name != n || v.Summary == "" {
				t.Errorf("%s: %+v %v, want from %s", n, v, ok, spec)
			}
		}
	}
	for _, n := range strings.Fields("MFMT MFCT MFF AVBL HASH CLNT COMB XCRC XMD5 LANG LPRT LPSV") {
		if _, ok := LookupVerb(n); !ok {
			t.Errorf("extension %s missing", n)
		}
	}
	var transfer, upload, passive []string
	for _, v := range Verbs() {
		if v.Transfer {
			transfer = append(transfer, v.Name)
		}
		if v.Upload {
			upload = append(upload, v.Name)
		}
		if v.Passive {
			passive = append(passive, v.Name)
		}
	}
	if got := strings.Join(transfer, " ") + "|" + strings.Join(upload, " ") + "|" + strings.Join(passive, " "); got != "APPE LIST MLSD NLST RETR STOR STOU|APPE STOR STOU|EPSV PASV" {
		t.Errorf("transfer|upload|passive = %s", got)
	}
}

func TestUnknownVerbs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"version: 1\nrules:\n  - when: {command: STORE}\n    reply: 452\n",
			`v.yaml:3:21: unknown command "STORE" (did you mean "STOR"?): to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands`},
		{"version: 1\nrules:\n  - when: {command: [RETR, FOOBAR]}\n",
			`v.yaml:3:28: unknown command "FOOBAR": to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands`},
		{"version: 1\nsettings: {disable: [EPSV, EPVS]}\n",
			`v.yaml:2:28: unknown command "EPVS" (did you mean "EPSV"?): to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands`},
		{"version: 1\nexpect:\n  - {command: qiut}\n",
			`v.yaml:3:15: unknown command "QIUT" (did you mean "QUIT"?): to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands`},
		{"version: 1\nsettings: {custom_commands: [XFOO, stor, \"a b\"]}\n",
			`v.yaml:2:36: STOR is a standard command (RFC 959): remove it from custom_commands
v.yaml:2:42: invalid command "A B": a command is a word like XFOO`},
	} {
		_, err := Parse("v.yaml", []byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s\ngot  %v\nwant %s", tc.in, err, tc.want)
		}
	}
	// custom commands, named on purpose, in rules, expectations and disable
	sc, err := Parse("v.yaml", []byte("version: 1\nsettings: {custom_commands: [xfoo], disable: XFOO}\nrules:\n  - when: {command: xfoo}\n    reply: 200 ok\nexpect:\n  - {command: XFoo}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Rules[0].When.Commands[0] != "XFOO" || sc.Expect[0].Command != "XFOO" || sc.Settings.CustomCommands[0] != "XFOO" {
		t.Errorf("not upper-cased: %+v %+v", sc.Rules[0].When, sc.Settings)
	}
	// in Go, and through ParseRule in a scenario that declares them
	if err := New("go").Rule(On("STORE")).Validate(); err == nil || !strings.Contains(err.Error(), `rule #1: when.command[0]: unknown command "STORE" (did you mean "STOR"?)`) {
		t.Errorf("Go: %v", err)
	}
	in := New("in").CustomCommands("xfoo").Disable("mdtm")
	if _, err := ParseRule("r", []byte("when: {command: XFOO}\nreply: 200\n"), in); err != nil {
		t.Errorf("ParseRule with the scenario's custom commands: %v", err)
	}
	if _, err := ParseRule("r", []byte("when: {command: MDTM}\nfinal: 213\n"), in); err == nil || !strings.Contains(err.Error(), "MDTM is disabled") {
		t.Errorf("ParseRule for a disabled command: %v", err)
	}
	if in.Settings.CustomCommands[0] != "xfoo" || in.Settings.Disable[0] != "mdtm" {
		t.Errorf("ParseRule changed the scenario it was given: %+v", in.Settings)
	}
	if _, err := ParseRule("r", []byte("when: {command: XFOO}\nreply: 200\n"), nil); err == nil || !strings.HasPrefix(err.Error(), `r:1:17: unknown command "XFOO"`) {
		t.Errorf("ParseRule alone: %v", err)
	}
	if err := New("go").CustomCommands("XFOO").Rule(On("xfoo").Reply(200, "")).ExpectCommand("XFOO", "", 1).Validate(); err != nil {
		t.Errorf("Go custom command: %v", err)
	}
	if err := CheckVerb("stor", nil); err != nil {
		t.Error(err)
	}
	if err := CheckVerb("xfoo", []string{"XFOO"}); err != nil {
		t.Error(err)
	}
}
