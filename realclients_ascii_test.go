package mockftpd_test

// settings.ascii with the clients that use TYPE A: lftp (which sends
// REST 0 before a listing and SIZE before an ASCII download, both in TYPE
// A) and curl --use-ascii.

import (
	"slices"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
)

const asciiStored = "line one\nline two\n"

// asciiServer serves /f.txt under the setting ("" for the default).
func asciiServer(t *testing.T, setting string) *ftptest.Server {
	return ftptest.New(t, ftptest.WithScenarioText("version: 1\nsettings: {"+setting+"}\nfiles: [{path: /f.txt, content: \"line one\\nline two\\n\"}]\n"))
}

// asciiBytesOut is how many bytes the journal's last RETR sent.
func asciiBytesOut(t *testing.T, srv *ftptest.Server) int64 {
	t.Helper()
	e := entriesOf(srv, "RETR")
	if len(e) == 0 || e[len(e)-1].Transfer == nil {
		t.Fatalf("no RETR transfer in the journal:%s", journalText(srv))
	}
	return e[len(e)-1].Transfer.BytesOut
}

func TestASCIISettingLFTP(t *testing.T) {
	t.Parallel()
	rc.Require(t, rc.LFTP)
	for _, tc := range []struct {
		setting   string
		rest0     string // lftp's REST 0 in TYPE A, before its listing
		size      string // lftp's SIZE in TYPE A
		bytesSent int64  // the ASCII download on the wire
	}{
		{"", "REST 0 501", "SIZE f.txt 550", int64(len(asciiStored) + 2)}, // LF sent as CRLF
		{"ascii: ignore", "REST 0 350", "SIZE f.txt 213", int64(len(asciiStored))},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			t.Parallel()
			srv := asciiServer(t, tc.setting)
			s := realSession(t, srv, plainMode, map[string]string{"part.txt": "line"})
			r := s.LFTP(t, "get -c /f.txt -o part.txt", "cls -1 /", "get -a /f.txt -o ascii.txt")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "/f.txt\n" {
				t.Fatalf("listed %q", r.Stdout)
			}
			// lftp turns CRLF into LF: the file is the same either way
			for _, f := range []string{"part.txt", "ascii.txt"} {
				if got := localFile(t, s, f); got != asciiStored {
					t.Fatalf("%s: %q", f, got)
				}
			}
			log := commandLog(srv, "REST", "SIZE")
			if !slices.Contains(log, tc.rest0) || !slices.Contains(log, tc.size) {
				t.Fatalf("the server saw %q, want %q and %q", log, tc.rest0, tc.size)
			}
			if got := asciiBytesOut(t, srv); got != tc.bytesSent {
				t.Fatalf("the ASCII download sent %d bytes, want %d", got, tc.bytesSent)
			}
		})
	}
}

func TestASCIISettingCurl(t *testing.T) {
	t.Parallel()
	rc.Require(t, rc.Curl)
	for _, tc := range []struct {
		setting   string
		bytesSent int64
		stored    string // curl --use-ascii sends each LF as CRLF
	}{
		{"", int64(len(asciiStored) + 2), "a\r\nb\n"},
		{"ascii: ignore", int64(len(asciiStored)), "a\r\r\nb\r\n"},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			t.Parallel()
			srv := asciiServer(t, tc.setting)
			s := realSession(t, srv, plainMode, map[string]string{"up.txt": "a\r\nb\n"})
			r := s.Curl(t, "/f.txt", "--use-ascii")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			if r.Stdout != asciiStored {
				t.Fatalf("downloaded %q", r.Stdout)
			}
			if got := asciiBytesOut(t, srv); got != tc.bytesSent {
				t.Fatalf("the ASCII download sent %d bytes, want %d", got, tc.bytesSent)
			}
			r = s.Curl(t, "/up.txt", "--use-ascii", "-T", "up.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			wantStored(t, srv, "/up.txt", tc.stored)
			// SIZE in TYPE A: curl -I --use-ascii asks it after TYPE A
			s.Curl(t, "/f.txt", "--use-ascii", "-I")
			if tc.setting == "" {
				wantLog(t, srv, []string{"SIZE f.txt 550"}, "SIZE")
			} else {
				wantLog(t, srv, []string{"SIZE f.txt 213"}, "SIZE")
			}
		})
	}
}
