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

// TestCommandPath: the path each kind of command acts on, resolved
// against the working directory as an FTP server resolves it.
func TestCommandPath(t *testing.T) {
	for _, tc := range []struct{ verb, arg, cwd, want string }{
		{"RETR", "/data/export.csv", "/", "/data/export.csv"},
		{"retr", "export.csv", "/data", "/data/export.csv"},
		{"STOR", "../b/./c.txt", "/a/x", "/a/b/c.txt"},
		{"DELE", "//a//b/", "/", "/a/b"},
		{"CWD", "..", "/a/b", "/a"},
		{"CWD", "..", "/", "/"},
		{"XCWD", "sub", "", "/sub"},
		{"RETR", "", "/data", "/data"},
		{"MKD", "new dir", "/a", "/a/new dir"},
		{"CDUP", "", "/a/b", "/a"},
		{"XCUP", "", "/", "/"},
		{"STOU", "", "/in", "/in"},
		{"STOU", "hint.txt", "/in", "/in"},
		{"LIST", "", "/pub", "/pub"},
		{"LIST", "-la", "/pub", "/pub"},
		{"LIST", "-a -l sub", "/pub", "/pub/sub"},
		{"NLST", "-la /x", "/pub", "/x"},
		{"MLSD", "", "/pub", "/pub"},
		{"MLST", "", "/pub", "/pub"},
		{"STAT", "f.txt", "/pub", "/pub/f.txt"},
		{"STAT", "", "/pub", ""},
		{"MFMT", "20240101120000 a.txt", "/pub", "/pub/a.txt"},
		{"MFMT", "20240101120000", "/pub", ""},
		{"SITE", "CHMOD 644 a.txt", "/pub", "/pub/a.txt"},
		{"SITE", "chown ftp:ftp /b", "/pub", "/b"},
		{"SITE", "MKDIR x/y", "/pub", "/pub/x/y"},
		{"SITE", "RMDIR", "/pub", ""},
		{"SITE", "HELP", "/pub", ""},
		{"NOOP", "", "/pub", ""},
		{"PWD", "", "/pub", ""},
		{"XFOO", "a", "/pub", ""},
	} {
		got, ok := CommandPath(tc.verb, tc.arg, tc.cwd)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s %q in %q: %q %v, want %q", tc.verb, tc.arg, tc.cwd, got, ok, tc.want)
		}
	}
	var with []string
	for _, v := range Verbs() {
		if TakesPath(v.Name) {
			with = append(with, v.Name)
		}
	}
	const want = "APPE AVBL CDUP CWD DELE DSIZ HASH LIST MD5 MDTM MFCT MFF MFMT MKD MLSD MLST NLST RETR RMD RMDA RNFR RNTO SITE SIZE SMNT STAT STOR STOU THMB XCRC XCUP XCWD XMD5 XMKD XRMD XSHA1 XSHA256 XSHA512"
	if got := strings.Join(with, " "); got != want {
		t.Errorf("verbs with a path:\n%s\nwant\n%s", got, want)
	}
}

// TestCommandPathAllocations: an absolute, clean path (the common case)
// costs no allocation.
func TestCommandPathAllocations(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { CommandPath("RETR", "/data/export.csv", "/") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// TestPathConditions: a path condition is checked where it is written.
func TestPathConditions(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rules: [{when: {command: RETR, path: data/x.csv}, reply: 550}]",
			`p.yaml:2:38: a path is absolute (the path the command acts on, whatever the working directory): did you mean "/data/x.csv"?`},
		{"rules: [{when: {command: RETR, path: /data/../x.csv}, reply: 550}]",
			`p.yaml:2:38: path "/data/../x.csv" is not clean: the path a command acts on is, so did you mean "/x.csv"?`},
		{"rules: [{when: {command: RETR, path: {glob: \"*.csv\"}}, reply: 550}]",
			`p.yaml:2:45: a path glob matches absolute paths: start it with / (e.g. "/*.csv") or ** (any folder)`},
		{"rules: [{when: {command: RETR, path: \"\"}, reply: 550}]",
			`p.yaml:2:38: an empty path matches no command: give the absolute path the command acts on, e.g. /data/export.csv`},
		{"rules: [{when: {command: [RETR, NOOP], path: /a}, reply: 550}]",
			`p.yaml:2:46: "path" does not apply to NOOP: it acts on no path`},
		{"rules: [{when: {event: connect, path: /a}, reply: 421}]",
			`p.yaml:2:39: a connect rule matches a new connection, not a command: remove "path"`},
		{"settings: {custom_commands: [XFOO]}\nrules: [{when: {command: XFOO, path: /a}, reply: 550}]",
			`p.yaml:3:38: "path" does not apply to XFOO: it acts on no path`},
		{"expect: [{command: PWD, path: /a}]",
			`p.yaml:2:31: "path" does not apply to PWD: it acts on no path`},
		{"expect: [{no_command_after: 530, path: /a}]",
			`p.yaml:2:40: "no_command_after" cannot be combined with "path"`},
		{"expect: [{command: RETR, path: {regex: \"(\"}}]",
			`p.yaml:2:40: invalid regex "(": missing closing ): ` + "`(`"},
	} {
		_, err := Parse("p.yaml", []byte("version: 1\n"+tc.in+"\n"))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s\ngot  %v\nwant %s", tc.in, err, tc.want)
		}
	}
	if err := New("go").Rule(On("RETR").Path("x")).Validate(); err == nil || !strings.Contains(err.Error(), `rule #1: when.path: a path is absolute`) {
		t.Errorf("Go: %v", err)
	}
	if err := New("go").Rule(On("RETR", "STOR").PathGlob("/out/**")).Rule(On("DELE").PathRegex(`\.tmp$`)).ExpectPath("STOR", "/out/a", 1).Validate(); err != nil {
		t.Errorf("Go: %v", err)
	}
}
