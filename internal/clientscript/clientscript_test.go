package clientscript_test

import (
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/clientscript"
)

// Every client runs the whole script against mockftpd: it downloads the
// file, uploads, appends, resumes, renames, and gets errors for the
// missing file and the bad login.
func TestScriptsAgainstMockftpd(t *testing.T) {
	for _, c := range clientscript.Clients {
		for _, active := range []bool{false, true} {
			tg := clientscript.Target{User: "bob", Password: "secret", BadUser: "bob", BadPassword: "wrong", Dir: "pub", File: "a.txt", Active: active}
			if !clientscript.Supports(c, tg) {
				continue
			}
			name := string(c) + map[bool]string{false: "/passive", true: "/active"}[active]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := ftptest.New(t, ftptest.WithUser("bob", "secret"))
				if err := srv.WriteFile("/pub/a.txt", []byte("hello\n")); err != nil {
					t.Fatal(err)
				}
				tg.Addr = srv.Addr()
				tr := clientscript.Run(t, c, tg)
				text := tr.String()
				for _, want := range []string{`"hello\n"`, `"line\nsecond line\n"`} {
					if !strings.Contains(text, want) {
						t.Errorf("transcript lacks %s:\n%s", want, text)
					}
				}
				if b, err := srv.ReadFile("/pub/renamed.txt"); err == nil {
					t.Errorf("renamed.txt still there: %q", b)
				}
				if testing.Verbose() {
					t.Log(text)
				}
			})
		}
	}
}

// TestPortsHidesPureFTPdsActive150 checks that pure-ftpd's active-mode 150
// compares equal in its one-line and multi-line forms, whatever the port.
func TestPortsHidesPureFTPdsActive150(t *testing.T) {
	a := clientscript.Transcript{"> RETR up.txt", "< 150-Connecting to port 55319", "< 150 0.0 kbytes to download"}.Normalise(clientscript.Ports)
	b := clientscript.Transcript{"> RETR up.txt", "< 150 Connecting to port 40001", "< 150 0.0 kbytes to download"}.Normalise(clientscript.Ports)
	if d := clientscript.Diff(a, b); d != "" {
		t.Fatal(d)
	}
	if a[1] != "< 150 Connecting to port PORT" {
		t.Fatalf("normalised to %q", a[1])
	}
}
