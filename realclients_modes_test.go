package mockftpd_test

// A whole session with curl, lftp and Python ftplib in every mode:
// passive and active, plain FTP, explicit and implicit FTPS. Everything
// a client does against an unscripted mockftpd must work as against a
// correct FTP server.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
)

// The files of a session: uploaded, appended to, resumed.
const (
	sessionText = "hello from a real client\n"
	appendText  = "and one more line\n"
)

// sessionScenario seeds an empty directory (listing it moves no byte)
// and a file to download.
const sessionScenario = `version: 1
name: real-client-session
files:
  - {path: /empty, dir: true}
  - {path: /pub/file.txt, content: "hello, world\n"}
`

// realSessionTests holds, for each client, a whole session in one mode.
var realSessionTests = map[rc.Client]func(t *testing.T, srv *ftptest.Server, mode rc.Mode){
	rc.Curl: func(t *testing.T, srv *ftptest.Server, mode rc.Mode) {
		s := realSession(t, srv, mode, map[string]string{"up.txt": sessionText, "more.txt": appendText})
		curl := func(want, path string, args ...string) rc.CurlResult {
			t.Helper()
			r := s.Curl(t, path, args...)
			wantObserved(t, srv, rc.Curl, r.Observed(), want, r.Result)
			return r
		}
		curl("exit 0", "/dir/up.txt", "--ftp-create-dirs", "-T", "up.txt")
		wantStored(t, srv, "/dir/up.txt", sessionText)
		if r := curl("exit 0", "/dir/up.txt"); r.Stdout != sessionText {
			t.Fatalf("downloaded %q", r.Stdout)
		}
		curl("exit 0", "/dir/up.txt", "--append", "-T", "more.txt")
		wantStored(t, srv, "/dir/up.txt", sessionText+appendText)
		if r := curl("exit 0", "/dir/up.txt", "-C", "6"); r.Stdout != (sessionText + appendText)[6:] {
			t.Fatalf("resumed download %q", r.Stdout)
		}
		if r := curl("exit 0", "/dir/", "--list-only"); r.Stdout != "up.txt\n" {
			t.Fatalf("listed %q", r.Stdout)
		}
		curl("exit 0", "/", "-I", "-Q", "RNFR /dir/up.txt", "-Q", "RNTO /dir/moved.txt", "-Q", "DELE /dir/moved.txt", "-Q", "RMD /dir", "-Q", "MKD /made")
		wantAbsent(t, srv, "/dir")
		if fi, err := srv.Fs().Stat("/made"); err != nil || !fi.IsDir() {
			t.Fatalf("MKD made no directory: %v", err)
		}
	},
	rc.LFTP: func(t *testing.T, srv *ftptest.Server, mode rc.Mode) {
		s := realSession(t, srv, mode, map[string]string{
			"up.txt":   sessionText,
			"long.txt": sessionText + appendText, // put -c sends what the server lacks
			"part.txt": sessionText[:6],          // get -c fetches the rest
		})
		r := s.LFTP(t,
			"mkdir /dir",
			"put up.txt -o /dir/up.txt",
			"get /dir/up.txt -o got.txt",
			"put -c long.txt -o /dir/up.txt",
			"get -c /dir/up.txt -o part.txt",
			"cls -1 /dir",
			"mv /dir/up.txt /dir/moved.txt",
			"rm /dir/moved.txt",
			"rmdir /dir",
		)
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		if r.Stdout != "/dir/up.txt\n" {
			t.Fatalf("listed %q", r.Stdout)
		}
		if got := localFile(t, s, "got.txt"); got != sessionText {
			t.Fatalf("downloaded %q", got)
		}
		if got := localFile(t, s, "part.txt"); got != sessionText+appendText {
			t.Fatalf("resumed download %q", got)
		}
		// the resumed upload and download (lftp also sends REST 0 before
		// a listing that follows a resumed transfer)
		var rests []string
		for _, e := range commandLog(srv, "REST") {
			if !strings.HasPrefix(e, "REST 0 ") {
				rests = append(rests, e)
			}
		}
		if want := []string{fmt.Sprintf("REST %d 350", len(sessionText)), "REST 6 350"}; !slices.Equal(rests, want) {
			t.Fatalf("the server saw %q, want %q; journal:%s", rests, want, journalText(srv))
		}
		wantAbsent(t, srv, "/dir")
	},
	rc.Ftplib: func(t *testing.T, srv *ftptest.Server, mode rc.Mode) {
		s := realSession(t, srv, mode, nil)
		r := s.Ftplib(t, s.FtplibLogin(
			rc.Step{Op: "mkd", Path: "/dir"},
			rc.Step{Op: "stor", Path: "/dir/up.txt", Data: sessionText},
			rc.Step{Op: "appe", Path: "/dir/up.txt", Data: appendText},
			rc.Step{Op: "nlst", Path: "/dir"},
			rc.Step{Op: "list", Path: "/dir"},
			rc.Step{Op: "mlsd", Path: "/dir"},
			rc.Step{Op: "retr", Path: "/dir/up.txt"},
			rc.Step{Op: "retr", Path: "/dir/up.txt", Rest: 6},
			rc.Step{Op: "size", Path: "/dir/up.txt"}, // in TYPE I, after a retr
			rc.Step{Op: "cwd", Path: "/dir"},
			rc.Step{Op: "pwd"},
			rc.Step{Op: "rename", Path: "up.txt", To: "moved.txt"},
			rc.Step{Op: "dele", Path: "/dir/moved.txt"},
			rc.Step{Op: "cwd", Path: "/"},
			rc.Step{Op: "rmd", Path: "/dir"},
			rc.Step{Op: "quit"},
		)...)
		opening := []string{"connect → ok: 220 mockftpd ready"}
		if mode.TLS == rc.Explicit {
			opening = append(opening, "auth → ok: 234 AUTH command ok. Expecting TLS Negotiation.")
		}
		opening = append(opening, "login → ok: 230 Password ok, continue")
		if mode.TLS != rc.Plain {
			opening = append(opening, "prot_p → ok: 200 OK")
		}
		whole := sessionText + appendText
		wantSteps(t, srv, r, append(opening,
			`mkd /dir → ok: "/dir"`,
			"stor /dir/up.txt → ok: 226 Closing transfer connection",
			"appe /dir/up.txt → ok: 226 Closing transfer connection",
			`nlst /dir → ok: ["dir/up.txt"]`,
			`list /dir → ok: 226 Closing transfer connection; ["up.txt"]`,
			`mlsd /dir → ok: ["up.txt"]`,
			fmt.Sprintf("retr /dir/up.txt → ok: 226 Closing transfer connection; %d bytes %q", len(whole), whole),
			fmt.Sprintf("retr /dir/up.txt rest=6 → ok: 226 Closing transfer connection; %d bytes %q", len(whole)-6, whole[6:]),
			fmt.Sprintf("size /dir/up.txt → ok: %d", len(whole)),
			"cwd /dir → ok: 250 CD worked on /dir",
			`pwd → ok: "/dir"`,
			"rename up.txt moved.txt → ok: 250 Done !",
			"dele /dir/moved.txt → ok: 250 Removed file /dir/moved.txt",
			"cwd / → ok: 250 CD worked on /",
			"rmd /dir → ok: 250 Deleted dir /dir",
			"quit → ok: 221 Goodbye",
		)...)
		wantAbsent(t, srv, "/dir")
	},
}

// realEmptyListingTests lists the empty directory with each client.
var realEmptyListingTests = map[rc.Client]func(t *testing.T, srv *ftptest.Server, mode rc.Mode){
	rc.Curl: func(t *testing.T, srv *ftptest.Server, mode rc.Mode) {
		r := realSession(t, srv, mode, nil).Curl(t, "/empty/")
		wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		if r.Stdout != "" {
			t.Fatalf("listed %q", r.Stdout)
		}
	},
	rc.LFTP: func(t *testing.T, srv *ftptest.Server, mode rc.Mode) {
		r := realSession(t, srv, mode, nil).LFTP(t, "cls -1 /empty")
		wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		if r.Stdout != "" {
			t.Fatalf("listed %q", r.Stdout)
		}
	},
	rc.Ftplib: func(t *testing.T, srv *ftptest.Server, mode rc.Mode) {
		s := realSession(t, srv, mode, nil)
		r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "nlst", Path: "/empty"}, rc.Step{Op: "list", Path: "/empty"},
			rc.Step{Op: "mlsd", Path: "/empty"}, rc.Step{Op: "pwd"})...)
		n := len(r.Steps) - 4
		if n < 0 {
			n = 0
		}
		r.Steps = r.Steps[n:]
		wantSteps(t, srv, r,
			"nlst /empty → ok: []",
			"list /empty → ok: 226 Closing transfer connection; []",
			"mlsd /empty → ok: []",
			`pwd → ok: "/"`)
	},
}

// TestRealClientModes runs a whole session, and the listing of an empty
// directory, with each client in each mode, against a fresh server.
func TestRealClientModes(t *testing.T) {
	t.Parallel()
	for _, c := range rc.All {
		for _, mode := range rc.Modes() {
			t.Run(fmt.Sprintf("%s/%s", c, mode), func(t *testing.T) {
				t.Parallel()
				rc.Require(t, c)
				if c == rc.Curl && mode.Active && mode.TLS != rc.Plain && curlCannotDoActiveFTPS() {
					t.Skipf("curl %s cannot do active FTPS: it never starts TLS on the data connection (regression of curl 7.87 and 7.88, curl/curl#10666, fixed in 8.0)", rc.Version(rc.Curl))
				}
				t.Run("session", func(t *testing.T) {
					realSessionTests[c](t, realServer(t, mode, ftptest.WithScenarioText(sessionScenario)), mode)
				})
				t.Run("empty listing", func(t *testing.T) {
					realEmptyListingTests[c](t, realServer(t, mode, ftptest.WithScenarioText(sessionScenario)), mode)
				})
			})
		}
	}
}

// TestFtplibMkdReturnsThePath checks that ftplib's mkd() returns the
// directory it made, which it reads from the quoted path at the start of
// the 257 reply (RFC 959, 4.2: 257 "PATHNAME" created).
func TestFtplibMkdReturnsThePath(t *testing.T) {
	t.Parallel()
	rc.Require(t, rc.Ftplib)
	srv := ftptest.New(t)
	s := realSession(t, srv, plainMode, nil)
	r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "mkd", Path: "/made"})...)
	wantStep(t, srv, r, 2, `mkd /made → ok: "/made"`)
}

// curlCannotDoActiveFTPS reports whether the installed curl has the
// active FTPS regression of 7.87 and 7.88.
func curlCannotDoActiveFTPS() bool {
	v := rc.Version(rc.Curl)
	return v == "7.87" || v == "7.88"
}
