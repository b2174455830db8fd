package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReplyFlagVerbs: -reply refuses a verb outside the catalogue, with a
// suggestion, unless the -scenario file declares it a custom command.
func TestReplyFlagVerbs(t *testing.T) {
	for _, tc := range []struct{ flag, want string }{
		{"STORE=452 full", `-reply "STORE=452 full": unknown command "STORE" (did you mean "STOR"?): to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands (of the -scenario file)`},
		{"RETR,FOOBAR=550", `-reply "RETR,FOOBAR=550": unknown command "FOOBAR"`},
		{"RE TR=550", `-reply "RE TR=550": the path "TR" is not absolute: want VERB=CODE text or VERB /PATH=CODE text`},
		{"RETR data/x.csv=450", `-reply "RETR data/x.csv=450": the path "data/x.csv" is not absolute`},
		{"NOOP /x=200", `command line: rule "-reply NOOP /x=200": when.path: "path" does not apply to NOOP: it acts on no path`},
		{"RETR /[x=450", `command line: rule "-reply RETR /[x=450": when.path.glob: invalid glob "/[x"`},
	} {
		f := newServeFlags(&bytes.Buffer{})
		if err := f.parse([]string{"-reply", tc.flag}, envFrom(nil)); err != nil {
			t.Fatal(err)
		}
		_, err := f.loadScenario(true)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("-reply %s: %v, want %s", tc.flag, err, tc.want)
		}
	}
	file := filepath.Join(t.TempDir(), "custom.yaml")
	if err := os.WriteFile(file, []byte("version: 1\nsettings: {custom_commands: [XFOO]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newServeFlags(&bytes.Buffer{})
	if err := f.parse([]string{"-scenario", file, "-reply", "xfoo,STOR=200 ok", "-reply", "*=421 bye"}, envFrom(nil)); err != nil {
		t.Fatal(err)
	}
	sc, err := f.loadScenario(true)
	if err != nil || len(sc.Rules) != 2 || sc.Rules[0].When.Commands[0] != "XFOO" {
		t.Fatalf("custom verb in -reply: %v %+v", err, sc)
	}
}

// TestValidateCommand: mockftpd validate prints located errors and exits 1.
func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(good, []byte("version: 1\nrules:\n  - when: {command: STOR}\n    reply: 452\n"), 0o644)
	_ = os.WriteFile(bad, []byte("version: 1\nrules:\n  - when: {command: STORE}\n    times: 0\n    reply: {cod: 452}\n"), 0o644)
	var out, errs bytes.Buffer
	if code := runValidate([]string{good, bad}, &out, &errs); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), good+": ok (1 rules, 0 files, 0 expectations)") {
		t.Errorf("stdout %q", out.String())
	}
	want := bad + `:3:21: unknown command "STORE" (did you mean "STOR"?)`
	if !strings.HasPrefix(errs.String(), want) || !strings.Contains(errs.String(), bad+`:4:12: expected a number of times (1 or more), got 0: leave times out for no limit`) ||
		!strings.Contains(errs.String(), bad+`:5:13: unknown field "cod" in a reply (did you mean "code"?)`) {
		t.Errorf("stderr:\n%s", errs.String())
	}
}

// TestReplyFlagPaths: "VERB /PATH=CODE text" matches the path the command
// acts on with a glob; a path may hold "=".
func TestReplyFlagPaths(t *testing.T) {
	for _, tc := range []struct{ flag, verb, glob, reply string }{
		{"RETR /data/*.csv=450 File busy", "RETR", "/data/*.csv", "450 File busy"},
		{"retr,stor /a=b.csv=550", "RETR", "/a=b.csv", "550 "},
		{"DELE /logs/**=550 No", "DELE", "/logs/**", "550 No"},
		{"STOR=452 Full = no room", "STOR", "", "452 Full = no room"},
	} {
		r, err := parseReplyFlag(tc.flag, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.flag, err)
		}
		glob := ""
		if r.When.Path != nil {
			glob = r.When.Path.Glob
		}
		rep := r.Steps[0].Replies[0]
		if r.When.Commands[0] != tc.verb || glob != tc.glob || strconv.Itoa(rep.Code)+" "+rep.Text != tc.reply {
			t.Errorf("%s: %+v %q %+v", tc.flag, r.When.Commands, glob, rep)
		}
	}
}

// TestStrictFlag: -strict (or MOCKFTPD_STRICT) makes the server strict,
// whatever the scenario says.
func TestStrictFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{nil, nil, false},
		{[]string{"-strict"}, nil, true},
		{nil, map[string]string{"MOCKFTPD_STRICT": "true"}, true},
		{[]string{"-strict=false"}, map[string]string{"MOCKFTPD_STRICT": "true"}, false},
	} {
		f := newServeFlags(&bytes.Buffer{})
		if err := f.parse(tc.args, envFrom(tc.env)); err != nil {
			t.Fatal(err)
		}
		cfg, err := f.config(slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Strict != tc.want {
			t.Errorf("%v %v: Strict %v", tc.args, tc.env, cfg.Strict)
		}
	}
}
