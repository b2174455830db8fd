package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/scenarios"
)

// runCmd runs mockftpd with args and returns its exit code and output.
func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, envFrom(env))
	return code, out.String(), errb.String()
}

func TestScenariosCommand(t *testing.T) {
	code, out, errs := runCmd(t, nil, "scenarios")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != len(scenarios.List())+1 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("scenarios: exit %d, %d lines, stderr %q", code, len(lines), errs)
	}
	if !strings.Contains(out, "\nbusy-file ") || !strings.Contains(out, "RETR of export.csv gets 450 twice, then works.") ||
		!strings.Contains(out, "\ncodes/452-stor ") || !strings.Contains(out, "\ndata/slow-link-64kbps ") {
		t.Fatalf("scenarios:\n%s", out)
	}

	code, out, _ = runCmd(t, nil, "scenarios", "530", "-json")
	var rows []scenarios.Info
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("scenarios 530 -json: exit %d, %v: %s", code, err, out)
	}
	if len(rows) != 2 || rows[0].Name != "codes/530-pass" || rows[1].Path != "codes/530-user.yaml" || rows[0].Description == "" {
		t.Fatalf("scenarios 530 -json: %+v", rows)
	}

	code, _, errs = runCmd(t, nil, "scenarios", "no-such")
	if code != 1 || !strings.Contains(errs, `no scenario name contains "no-such"`) {
		t.Fatalf("scenarios no-such: exit %d, %q", code, errs)
	}

	code, out, _ = runCmd(t, nil, "scenarios", "show", "builtin:busy-file")
	want, _ := scenarios.ReadFile("busy-file")
	if code != 0 || out != string(want) {
		t.Fatalf("show: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, nil, "scenarios", "show", "codes/452-stor", "busy-file")
	if code != 0 || !strings.HasPrefix(out, "# ---- builtin:codes/452-stor\n") || !strings.Contains(out, "\n# ---- builtin:busy-file\n") {
		t.Fatalf("show two:\n%s", out)
	}
	code, _, errs = runCmd(t, nil, "scenarios", "show", "busy-fil")
	if code != 1 || !strings.Contains(errs, `did you mean "busy-file"?`) {
		t.Fatalf("show busy-fil: exit %d, %q", code, errs)
	}
}

func TestCodesFilter(t *testing.T) {
	code, out, _ := runCmd(t, nil, "codes", "452")
	table, made, _ := strings.Cut(out, "\nReady-made scenarios")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], "452 ") || !strings.Contains(made, "codes/452-stor") {
		t.Fatalf("codes 452: exit %d:\n%s", code, out)
	}

	code, out, _ = runCmd(t, nil, "codes", "-json", "4xx", "550")
	var rows []struct{ Code int }
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) < 5 {
		t.Fatalf("codes -json 4xx 550: exit %d, %v:\n%s", code, err, out)
	}
	for i, r := range rows {
		if (r.Code < 400 || r.Code > 499) && r.Code != 550 || i > 0 && rows[i-1].Code >= r.Code {
			t.Fatalf("codes 4xx 550: %v", rows)
		}
	}
	if rows[len(rows)-1].Code != 550 {
		t.Fatalf("codes 4xx 550: no 550: %v", rows)
	}

	code, out, _ = runCmd(t, nil, "codes", "45X")
	if code != 0 || !strings.Contains(out, "\n450 ") || !strings.Contains(out, "\n452 ") || strings.Contains(out, "\n421 ") {
		t.Fatalf("codes 45X: exit %d:\n%s", code, out)
	}

	for _, c := range []struct {
		arg, err string
		code     int
	}{
		{"499", "499 is not in the catalogue", 1},
		{"69x", "no code of the catalogue matches 69x", 1},
		{"abc", `"abc": want a reply code from 100 to 699`, 2},
		{"700", `"700": want a reply code`, 2},
		{"4521", `"4521": want a reply code`, 2},
	} {
		code, _, errs := runCmd(t, nil, "codes", c.arg)
		if code != c.code || !strings.Contains(errs, c.err) {
			t.Errorf("codes %s: exit %d, %q; want %d, %q", c.arg, code, errs, c.code, c.err)
		}
	}
	if code, out, _ := runCmd(t, nil, "codes"); code != 0 || strings.Contains(out, "Ready-made") || strings.Count(out, "\n") < 50 {
		t.Errorf("codes: exit %d:\n%s", code, out)
	}
}

func TestServeBuiltinScenario(t *testing.T) {
	r := start(t, []string{"-listen", "127.0.0.1:0", "-scenario", "builtin:codes/452-stor", "-reload-interval", "10ms"}, nil)
	c := login(t, r.srv.Addr())
	waitStor(t, c, 452)
	if sc := r.srv.Scenario(); sc.Name != "452-stor" || sc.Source != "builtin:codes/452-stor" {
		t.Fatalf("serving %q from %q", sc.Name, sc.Source)
	}
	// Part of the binary: nothing to poll, nothing to reload.
	r.reload <- struct{}{}
	r.waitLog(t, "SIGHUP: nothing to reload")
	if logs := r.logs.String(); strings.Contains(logs, "scenario file missing") || strings.Contains(logs, "reloading") {
		t.Fatalf("the builtin was taken for a file:\n%s", r.logs)
	}
}

func TestServeUnknownBuiltin(t *testing.T) {
	// A misspelt builtin is an error, even where a missing file is not.
	env := map[string]string{"MOCKFTPD_SCENARIO": "builtin:busy-fil", "MOCKFTPD_SCENARIO_OPTIONAL": "true"}
	code, _, errs := runCmd(t, env, "-listen", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errs, `builtin:busy-fil: no such scenario in the library (did you mean "busy-file"?)`) {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func TestValidateBuiltin(t *testing.T) {
	code, out, errs := runCmd(t, nil, "validate", "builtin:busy-file", "builtin:data/slow-link-64kbps")
	if code != 0 || !strings.Contains(out, "builtin:busy-file: ok (1 rules, 1 files") {
		t.Fatalf("validate: exit %d: %s %s", code, out, errs)
	}
	if code, _, errs := runCmd(t, nil, "validate", "builtin:nope"); code != 1 || !strings.Contains(errs, "builtin:nope") {
		t.Fatalf("validate builtin:nope: exit %d: %s", code, errs)
	}
}
