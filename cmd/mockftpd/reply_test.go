package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplyFlagVerbs: -reply refuses a verb outside the catalogue, with a
// suggestion, unless the -scenario file declares it a custom command.
func TestReplyFlagVerbs(t *testing.T) {
	for _, tc := range []struct{ flag, want string }{
		{"STORE=452 full", `-reply "STORE=452 full": unknown command "STORE" (did you mean "STOR"?): to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands (of the -scenario file)`},
		{"RETR,FOOBAR=550", `-reply "RETR,FOOBAR=550": unknown command "FOOBAR"`},
		{"RE TR=550", `-reply "RE TR=550": invalid command "RE TR"`},
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
