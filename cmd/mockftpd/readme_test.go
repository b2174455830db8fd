package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMECurlExamples runs the README's "curl, one line per route"
// block against a running mockftpd with a token: every line must get an
// answer below 400 (GET /api/verify may answer 409: an unmet expectation).
func TestREADMECurlExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is missing: apt-get install -y curl")
		}
		t.Skip("curl is missing: apt-get install -y curl (Debian) to run the README's curl examples")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "### curl, one line per route\n\n```sh\n")
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("no curl block in the README")
	}
	r := start(t, []string{"-listen", "127.0.0.1:0", "-admin", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_ADMIN_TOKEN": "s3cret"})
	// a session for the lines that read one
	c := login(t, r.srv.Addr())
	_ = c.Quit()
	if _, err := r.srv.WaitSessionEnd(1, clientTimeout); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "scenario.yaml"), storRule(452, "full"))
	writeFile(t, filepath.Join(dir, "report.csv"), "a,b\n1,2\n")
	// Each curl prints "CODE ARGS" on a line of its own.
	wrapper := `curl() { local out; out=$(command curl "$@" -sS -w '\n%{http_code}') || { echo "000 $*"; return; }; echo "${out##*$'\n'} $*"; }` + "\n"
	script := wrapper + strings.Replace(block, "A=http://127.0.0.1:8021", "A=http://"+r.admin, 1)
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MOCKFTPD_ADMIN_TOKEN=s3cret")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var answers []string
	for _, line := range strings.Split(string(out), "\n") {
		if len(line) > 4 && line[3] == ' ' && strings.Trim(line[:3], "0123456789") == "" {
			answers = append(answers, line)
		}
	}
	if want := strings.Count(block, "\ncurl "); len(answers) != want {
		t.Fatalf("%d answers for %d curl lines:\n%s", len(answers), want, out)
	}
	for _, line := range answers {
		code, args, _ := strings.Cut(line, " ")
		if code >= "400" && !(code == "409" && strings.Contains(args, "/api/verify")) {
			t.Errorf("%s: %s", code, args)
		}
	}
	if b, err := r.srv.Fs().Open("/inbox/report.csv"); err != nil {
		t.Errorf("the README's upload: %v", err)
	} else {
		_ = b.Close()
	}
}
