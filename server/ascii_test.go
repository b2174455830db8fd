package server_test

import (
	"testing"
)

// TestASCIISetting: by default TYPE A converts line ends and refuses SIZE
// and REST (RFC 959, ftpserverlib); with settings.ascii: ignore, bytes
// move as stored in either type and SIZE and REST are answered.
func TestASCIISetting(t *testing.T) {
	t.Parallel()
	const stored = "one\ntwo\r\nthree\n"
	const upload = "up\r\nload\n"
	for _, tc := range []struct {
		setting                  string
		size, rest               int
		download, uploaded       string
		restDownload, typeAReply string
	}{
		{"", 550, 501, "one\r\ntwo\r\nthree\r\n", "up\nload\n", "", "Type set to ASCII"},
		{"ascii: convert", 550, 501, "one\r\ntwo\r\nthree\r\n", "up\nload\n", "", "Type set to ASCII"},
		{"ascii: ignore", 213, 350, stored, upload, stored[4:], "Type set to ASCII"},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			t.Parallel()
			srv := withYAML(t, "version: 1\nsettings: {"+tc.setting+"}\nfiles: [{path: /f.txt, content: "+quote(stored)+"}]\n")
			// a session starts in TYPE A (RFC 959)
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			c.Cmd(tc.size, "SIZE /f.txt")
			d := rawLogin(t, srv.Addr(), dmode{verb: "PASV"})
			if msg := d.Cmd(200, "TYPE A"); msg != tc.typeAReply {
				t.Fatalf("TYPE A: %q", msg)
			}
			d.Cmd(tc.size, "SIZE /f.txt")
			r := d.download("RETR /f.txt", clientTimeout)
			wantFinal(t, r, 150, 226)
			wantData(t, r.data, []byte(tc.download))
			u := d.upload("STOR /up.txt", []byte(upload), clientTimeout)
			wantFinal(t, u, 150, 226)
			if b, _ := srv.ReadFile("/up.txt"); string(b) != tc.uploaded {
				t.Fatalf("stored %q, want %q", b, tc.uploaded)
			}
			d.Cmd(tc.rest, "REST 4")
			if tc.rest == 350 {
				r = d.download("RETR /f.txt", clientTimeout)
				wantData(t, r.data, []byte(tc.restDownload))
			}
			// binary mode is binary either way
			d.Cmd(200, "TYPE I")
			d.Cmd(213, "SIZE /f.txt")
			r = d.download("RETR /f.txt", clientTimeout)
			wantData(t, r.data, []byte(stored))
		})
	}
}

func quote(s string) string {
	out := `"`
	for _, c := range s {
		switch c {
		case '\n':
			out += `\n`
		case '\r':
			out += `\r`
		default:
			out += string(c)
		}
	}
	return out + `"`
}
