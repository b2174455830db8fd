package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/internal/testclient"
)

func TestDialectsCommand(t *testing.T) {
	code, out, errs := runCmd(t, nil, "dialects")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != len(dialect.All())+1 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(out, "\niis ") {
		t.Fatalf("dialects: exit %d, stderr %q:\n%s", code, errs, out)
	}
	code, out, _ = runCmd(t, nil, "dialects", "-json")
	var rows []struct{ Name, Product, Summary string }
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != len(dialect.All()) || rows[0].Summary == "" {
		t.Fatalf("dialects -json: exit %d, %v: %s", code, err, out)
	}
	code, out, _ = runCmd(t, nil, "dialects", "show", "vsftpd")
	if code != 0 || !strings.Contains(out, "220 (vsFTPd 3.0.3)") || !strings.Contains(out, "522 SSL connection failed: session reuse required") || !strings.Contains(out, "Sources:") {
		t.Fatalf("dialects show vsftpd: exit %d:\n%s", code, out)
	}
	code, _, errs = runCmd(t, nil, "dialects", "show", "filezilla")
	if code != 1 || !strings.Contains(errs, `did you mean "filezilla-server"?`) {
		t.Fatalf("dialects show filezilla: exit %d, %q", code, errs)
	}
	code, _, errs = runCmd(t, nil, "dialects", "vsftpd")
	if code != 2 || !strings.Contains(errs, "mockftpd dialects show vsftpd") {
		t.Fatalf("dialects vsftpd: exit %d, %q", code, errs)
	}
}

func TestDialectFlag(t *testing.T) {
	code, _, errs := runCmd(t, map[string]string{"MOCKFTPD_DIALECT": "vsftp"}, "-listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, `-dialect (MOCKFTPD_DIALECT): unknown dialect "vsftp"`) || !strings.Contains(errs, `did you mean "vsftpd"?`) {
		t.Fatalf("MOCKFTPD_DIALECT=vsftp: exit %d, %q", code, errs)
	}
	r := start(t, []string{"-listen", "127.0.0.1:0"}, map[string]string{"MOCKFTPD_DIALECT": "IIS"})
	c := testclient.RawDial(t, r.srv.Addr())
	if got := c.Expect(220); got != "Microsoft FTP Service" {
		t.Errorf("greeting %q", got)
	}
	c.Cmd(331, "USER a")
	c.Cmd(230, "PASS b")
	if got := c.Cmd(215, "SYST"); got != "Windows_NT" {
		t.Errorf("SYST %q", got)
	}
	if got := c.Cmd(500, "EPSV"); got != "Command not understood." {
		t.Errorf("EPSV %q, want IIS's unknown command", got)
	}
}
