package scenario

import "testing"

func TestSettingsDialect(t *testing.T) {
	_, err := Parse("t.yaml", []byte("version: 1\nsettings: {dialect: vsftp}\n"))
	want := `t.yaml:2:21: unknown dialect "vsftp" (use filezilla-server, iis, proftpd, pure-ftpd, serv-u, vsftpd or wu-ftpd) (did you mean "vsftpd"?)`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	sc := &Scenario{Version: 1, Settings: Settings{Dialect: " ProFTPD "}}
	n, err := sc.Normalize()
	if err != nil || n.Settings.Dialect != "proftpd" {
		t.Errorf("normalized dialect %q, %v; want proftpd", n.Settings.Dialect, err)
	}
	if sc.Settings.Dialect != " ProFTPD " {
		t.Errorf("Normalize changed the scenario it was given: %q", sc.Settings.Dialect)
	}
}

func TestBuilderDialect(t *testing.T) {
	n, err := New("x").Dialect("IIS").Normalize()
	if err != nil || n.Settings.Dialect != "iis" {
		t.Errorf("%v %q", err, n.Settings.Dialect)
	}
}
