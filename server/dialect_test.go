package server_test

import (
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// A dialect's settings part: its greeting, SYST, FEAT, and its unknown
// command reply for the commands the product lacks, under the scenario's
// own settings.
func TestDialectSettings(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithConfig(func(c *server.Config) { c.Dialect = "filezilla-server" }))
	c := rawDial(t, srv.Addr())
	if got := c.Expect(220); got != "FileZilla Server 1.8.2\nPlease visit https://filezilla-project.org/" {
		t.Errorf("greeting %q", got)
	}
	c.Cmd(331, "USER a")
	c.Cmd(230, "PASS b")
	if got := c.Cmd(215, "SYST"); got != "UNIX emulated by FileZilla." {
		t.Errorf("SYST %q", got)
	}
	if got := c.Cmd(211, "FEAT"); !strings.Contains(got, "MLST type*;size*;modify*;perm*;\n") || !strings.Contains(got, "AUTH SSL") {
		t.Errorf("FEAT %q", got)
	}

	// wu-ftpd has no FEAT and no MLSD; the scenario's banner and rules win
	sc := scenario.New("wu").Dialect("wu-ftpd").Banner("our banner")
	sc.Rule(scenario.On("MLSD").Reply(550, "scripted"))
	if err := srv.SetScenario(sc); err != nil {
		t.Fatal(err)
	}
	c = rawDial(t, srv.Addr())
	if got := c.Expect(220); got != "our banner" {
		t.Errorf("greeting %q, want the scenario's banner", got)
	}
	c.Cmd(331, "USER a")
	c.Cmd(230, "PASS b")
	if got := c.Cmd(500, "FEAT"); got != "'FEAT': command not understood." {
		t.Errorf("FEAT %q, want wu-ftpd's unknown command", got)
	}
	c.Cmd(500, "MLST /")
	c.Cmd(550, "MLSD")
	c.Cmd(215, "SYST")
}

// The scenario's dialect wins over the server's; the scenario in force
// shows what the dialect filled in.
func TestDialectOfScenarioWins(t *testing.T) {
	s, err := server.Start(server.Config{Dialect: "vsftpd", Scenario: scenario.New("x").Dialect("IIS")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	set := s.Scenario().Settings
	if set.Dialect != "iis" || set.Syst != "Windows_NT" || set.Banner != "Microsoft FTP Service" || !strings.Contains(strings.Join(set.Disable, ","), "EPSV") {
		t.Errorf("settings in force: %+v", set)
	}
}

func TestDialectUnknown(t *testing.T) {
	_, err := server.Start(server.Config{Dialect: "pureftpd"})
	if err == nil || err.Error() != `unknown dialect "pureftpd" (use filezilla-server, iis, proftpd, pure-ftpd, serv-u, vsftpd or wu-ftpd) (did you mean "pure-ftpd"?)` {
		t.Fatalf("Start: %v", err)
	}
}
