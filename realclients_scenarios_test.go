package mockftpd_test

// Every ready-made scenario under scenarios/ driven by curl, lftp and
// Python ftplib, each used the way its users use it: what the scenario's
// header promises, as each client observes it.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
	"github.com/mockftpd/mockftpd/scenario"
)

// realTest drives one client against a fresh server of the scenario.
type realTest func(t *testing.T, srv *ftptest.Server)

// plainMode is passive, plain FTP: what the scenario tests use.
var plainMode = rc.Mode{}

// realScenarioTests holds, for every ready-made scenario, a test per client.
var realScenarioTests = map[string]map[rc.Client]realTest{
	"disk-full-second-upload": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, map[string]string{"a.txt": "a", "b.txt": "b", "c.txt": "c"})
			r := s.Curl(t, "/a.txt", "-T", "a.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			r = s.Curl(t, "/b.txt", "-T", "b.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 25: Failed FTP upload: 452", r.Result)
			r = s.Curl(t, "/c.txt", "-T", "c.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			wantAbsent(t, srv, "/b.txt")
			wantStored(t, srv, "/c.txt", "c")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			// lftp takes the 452 for a transient error and retries the
			// upload on the same connection: the retry, the third STOR,
			// works, and the user never sees the 452.
			s := realSession(t, srv, plainMode, map[string]string{"a.txt": "a", "b.txt": "b"})
			r := s.LFTP(t, "put a.txt -o /a.txt", "put b.txt -o /b.txt")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			wantLog(t, srv, []string{"STOR a.txt 150 226", "STOR b.txt 452", "STOR b.txt 150 226"}, "STOR")
			wantStored(t, srv, "/b.txt", "b")
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(
				rc.Step{Op: "stor", Path: "/a.txt", Data: "a"},
				rc.Step{Op: "stor", Path: "/b.txt", Data: "b"},
				rc.Step{Op: "stor", Path: "/c.txt", Data: "c"},
				rc.Step{Op: "pwd"})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"stor /a.txt → ok: 226 Closing transfer connection",
				"stor /b.txt → ftplib.error_temp: 452 Insufficient storage space in system",
				"stor /c.txt → ok: 226 Closing transfer connection",
				`pwd → ok: "/"`)
			wantAbsent(t, srv, "/b.txt")
		},
	},
	"flaky-login": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			s.User, s.Password = "demo", "demo"
			r := s.Curl(t, "/", "-I")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 67: Access denied: 530", r.Result)
			r = s.Curl(t, "/", "-I") // the retry
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			s.User, s.Password = "demo", "demo"
			// lftp retries a 530 only when its text matches ftp:retry-530
			// (which "Login authentication failed" does not by default).
			r := s.LFTP(t, "quote NOOP")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 1: quote: NOOP: Login failed: 530 Login authentication failed", r.Result)
			r = s.LFTP(t, "quote NOOP")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			s.User, s.Password = "demo", "demo"
			first := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "noop"})...)
			retry := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "noop"})...)
			wantSteps(t, srv, retry,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"noop → ok: 200 OK")
			wantFirstSteps(t, srv, first,
				"connect → ok: 220 mockftpd ready",
				"login → ftplib.error_perm: 530 Login authentication failed")
			wantStep(t, srv, first, 2, "noop → EOFError") // the server hung up
		},
	},
	"server-going-away": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Curl(t, "/pub/report.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "quarterly figures\n" {
				t.Fatalf("downloaded %q", r.Stdout)
			}
			// curl takes any 421 for a server timeout (CURLE_OPERATION_TIMEDOUT).
			r = s.Curl(t, "/", "-I")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 28: Timeout was reached", r.Result)
			wantLog(t, srv, []string{"USER anonymous 331", "USER anonymous 421"}, "USER")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			// lftp reconnects after the 421 to SIZE; the new connections
			// get 421 too, and it gives up.
			s := realSession(t, srv, plainMode, nil)
			r := s.LFTP(t, "get /pub/report.txt -o first.txt", "get /pub/report.txt -o second.txt")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 1: get: /pub/report.txt: Fatal error: max-retries exceeded", r.Result)
			if got := localFile(t, s, "first.txt"); got != "quarterly figures\n" {
				t.Fatalf("first download %q", got)
			}
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "retr", Path: "/pub/report.txt"}, rc.Step{Op: "noop"},
				rc.Step{Op: "connect"}, rc.Step{Op: "login"}, rc.Step{Op: "noop"})...)
			wantFirstSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				`retr /pub/report.txt → ok: 226 Closing transfer connection; 18 bytes "quarterly figures\n"`,
				"noop → ftplib.error_temp: 421 Service not available, closing control connection",
				"connect → ok: 220 mockftpd ready", // a new session
				"login → ftplib.error_temp: 421 Service not available, closing control connection")
			// The client sends more after the 421: it finds the connection
			// closed (EOF), not reset.
			wantStep(t, srv, r, 6, "noop → EOFError")
		},
	},
	"delayed-greeting": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			// curl wants the 220 at once and fails on the 120.
			r := realSession(t, srv, plainMode, nil).Curl(t, "/", "-I")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 8: Got a 120 ftp-server response when 220 was expected", r.Result)
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			// lftp waits for the 220.
			r := realSession(t, srv, plainMode, nil).LFTP(t, "quote NOOP")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			atLeast(t, "the session", r.Duration, 2*time.Second)
			wantLog(t, srv, []string{"<connect> 120 220"}, "<connect>")
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			// ftplib takes the 120 for the greeting; the 220 then answers
			// USER, and every later reply answers the command before.
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "pwd"}, rc.Step{Op: "noop"})...)
			wantSteps(t, srv, r,
				"connect → ok: 120 Service ready in 2 seconds",
				"login → ok: 220 mockftpd ready",
				"pwd → ftplib.error_reply: 331 OK",
				"noop → ftplib.error_perm: 530 Please login with USER and PASS")
		},
	},
	"slow-list": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			r := realSession(t, srv, plainMode, nil).Curl(t, "/pub/", "--list-only")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "a.txt\nb.txt\n" {
				t.Fatalf("listed %q", r.Stdout)
			}
			atLeast(t, "the listing", r.Duration, 3*time.Second)
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			r := realSession(t, srv, plainMode, nil).LFTP(t, "cls -1 /pub")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "/pub/a.txt\n/pub/b.txt\n" {
				t.Fatalf("listed %q", r.Stdout)
			}
			atLeast(t, "the listing", r.Duration, 3*time.Second)
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "nlst", Path: "/pub"})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				`nlst /pub → ok: ["pub/a.txt","pub/b.txt"]`)
			atLeast(t, "the session", r.Duration, 3*time.Second)
		},
	},
	"download-aborted-then-resumed": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			full, _ := srv.ReadFile("/pub/big.bin")
			s := realSession(t, srv, plainMode, nil)
			// curl knows the size from SIZE, so the early end is an error.
			r := s.Curl(t, "/pub/big.bin", "-o", "big.bin")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 18: transfer closed with 3145728 bytes remaining to read", r.Result)
			r = s.Curl(t, "/pub/big.bin", "-C", "-", "-o", "big.bin") // resume from the local file's size
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			if localFile(t, s, "big.bin") != string(full) {
				t.Fatal("the resumed file differs from the server's")
			}
			wantLog(t, srv, []string{"REST 1048576 350"}, "REST")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			full, _ := srv.ReadFile("/pub/big.bin")
			s := realSession(t, srv, plainMode, nil)
			// lftp gets the file on its own after the 426: at once, or,
			// when it has taken the 426 for a transient error first, as
			// its retry (which the tests' net:max-retries 1 would not
			// allow); resuming with REST from what it had written when the
			// 426 came (up to the 1 MiB sent), or from the start when it
			// had written nothing. All of that is a matter of timing.
			r := s.LFTP(t, "set net:max-retries 3", "get /pub/big.bin -o big.bin")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			if localFile(t, s, "big.bin") != string(full) {
				t.Fatal("the resumed file differs from the server's")
			}
			log := commandLog(srv, "RETR", "REST")
			offset := 1
			if len(log) == 3 {
				_, _ = fmt.Sscanf(log[1], "REST %d 350", &offset)
			}
			if len(log) < 2 || len(log) > 3 || log[0] != "RETR pub/big.bin 150 426" || offset <= 0 || offset > 1<<20 || log[len(log)-1] != "RETR pub/big.bin 150 226" {
				t.Fatalf("the server saw %q, want a cut RETR, maybe a REST of at most 1 MiB, a complete RETR; journal:%s", log, journalText(srv))
			}
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "retr", Path: "/pub/big.bin"}, rc.Step{Op: "retr", Path: "/pub/big.bin", Rest: 1 << 20})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"retr /pub/big.bin → ftplib.error_temp: 426 Connection closed; transfer aborted; 1048576 bytes, sha256 2e198ab659b7ae04441e2a400b198602babbe7b459b204b0299428182234f3d4",
				"retr /pub/big.bin rest=1048576 → ok: 226 Closing transfer connection; 3145728 bytes, sha256 952a155e6e01b25781c1312cb5835a6152df8084f17d80195dc1d359dc913387")
			full, _ := srv.ReadFile("/pub/big.bin")
			if got := r.Steps[2].Download().SHA256; got != sha256Hex(full[:1<<20]) {
				t.Fatalf("the first MiB has the hash %s: not the file's first MiB", got)
			}
			if got := r.Steps[3].Download().SHA256; got != sha256Hex(full[1<<20:]) {
				t.Fatalf("the rest has the hash %s: not the file's rest", got)
			}
		},
	},
	"rename-refused": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			r := realSession(t, srv, plainMode, nil).Curl(t, "/", "-I", "-Q", "RNFR /docs/draft.txt", "-Q", "RNTO /docs/final.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 21: QUOT command failed with 553", r.Result)
			wantStored(t, srv, "/docs/draft.txt", "draft\n")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			r := realSession(t, srv, plainMode, nil).LFTP(t, "mv /docs/draft.txt /docs/final.txt")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 1: mv: Access failed: 553 Requested action not taken. File name not allowed. (/docs/draft.txt)", r.Result)
			wantStored(t, srv, "/docs/draft.txt", "draft\n")
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "rename", Path: "/docs/draft.txt", To: "/docs/final.txt"}, rc.Step{Op: "pwd"})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"rename /docs/draft.txt /docs/final.txt → ftplib.error_perm: 553 Requested action not taken. File name not allowed.",
				`pwd → ok: "/"`)
			wantStored(t, srv, "/docs/draft.txt", "draft\n")
		},
	},
	"no-epsv": {
		// Each client downloads in passive and in active mode, and never
		// transfers over EPSV or EPRT.
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			for _, active := range []bool{false, true} {
				r := realSession(t, srv, rc.Mode{Active: active}, nil).Curl(t, "/pub/file.txt")
				wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
				if r.Stdout != "reached over PASV\n" {
					t.Fatalf("downloaded %q", r.Stdout)
				}
			}
			// curl tries EPSV, then EPRT, and falls back on the 502s.
			wantTransferModes(t, srv, "PASV", "PORT")
			wantLog(t, srv, []string{"EPSV 502", "EPRT |1|127.0.0.1|{port}| 502"}, "EPSV", "EPRT")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			for _, active := range []bool{false, true} {
				s := realSession(t, srv, rc.Mode{Active: active}, nil)
				r := s.LFTP(t, "get /pub/file.txt -o file.txt")
				wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
				if got := localFile(t, s, "file.txt"); got != "reached over PASV\n" {
					t.Fatalf("downloaded %q", got)
				}
			}
			wantTransferModes(t, srv, "PASV", "PORT") // lftp uses PASV and PORT on IPv4 anyway
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			for _, active := range []bool{false, true} {
				s := realSession(t, srv, rc.Mode{Active: active}, nil)
				r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "retr", Path: "/pub/file.txt"})...)
				wantSteps(t, srv, r,
					"connect → ok: 220 mockftpd ready",
					"login → ok: 230 Password ok, continue",
					`retr /pub/file.txt → ok: 226 Closing transfer connection; 18 bytes "reached over PASV\n"`)
			}
			wantTransferModes(t, srv, "PASV", "PORT") // ftplib uses PASV and PORT on IPv4 anyway
		},
	},
	"no-mlsd": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			r := realSession(t, srv, plainMode, nil).Curl(t, "/pub/", "--list-only")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "one.txt\nsub\ntwo.txt\n" {
				t.Fatalf("listed %q", r.Stdout)
			}
			wantLog(t, srv, nil, "MLSD", "MLST")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			// lftp lists with MLSD when FEAT offers MLST; here, LIST.
			r := realSession(t, srv, plainMode, nil).LFTP(t, "cls -1 /pub")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "/pub/one.txt\n/pub/sub/\n/pub/two.txt\n" {
				t.Fatalf("listed %q", r.Stdout)
			}
			wantLog(t, srv, []string{"LIST 150 226"}, "MLSD", "MLST", "LIST")
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			// ftplib has no fallback: mlsd() fails, the caller must list.
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "mlsd", Path: "/pub"}, rc.Step{Op: "list", Path: "/pub"})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"mlsd /pub → ftplib.error_perm: 502 Command not implemented",
				`list /pub → ok: 226 Closing transfer connection; ["one.txt","sub","two.txt"]`)
		},
	},
	"busy-file": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Curl(t, "/data/export.csv")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 19: RETR response: 450", r.Result)
			// curl --retry retries transient (4xx) FTP errors.
			r = s.Curl(t, "/data/export.csv", "--retry", "1", "--retry-delay", "1")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "id,name\n1,alice\n2,bob\n" {
				t.Fatalf("downloaded %q", r.Stdout)
			}
			wantLog(t, srv, []string{"RETR export.csv 450", "RETR export.csv 450", "RETR export.csv 150 226"}, "RETR")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.LFTP(t, "get /data/export.csv -o export.csv")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 1: get: /data/export.csv: Fatal error: max-retries exceeded", r.Result)
			// with retries allowed, lftp retries the 450 and gets the file
			r = s.LFTP(t, "set net:max-retries 3", "get /data/export.csv -o export.csv")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			if got := localFile(t, s, "export.csv"); got != "id,name\n1,alice\n2,bob\n" {
				t.Fatalf("downloaded %q", got)
			}
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			retr := rc.Step{Op: "retr", Path: "/data/export.csv"}
			r := s.Ftplib(t, s.FtplibLogin(retr, retr, retr)...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"retr /data/export.csv → ftplib.error_temp: 450 File busy, try again later",
				"retr /data/export.csv → ftplib.error_temp: 450 File busy, try again later",
				`retr /data/export.csv → ok: 226 Closing transfer connection; 22 bytes "id,name\n1,alice\n2,bob\n"`)
		},
	},
	"quota-exceeded-on-append": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, map[string]string{"line2.txt": "line 2\n"})
			r := s.Curl(t, "/logs/app.log", "--append", "-T", "line2.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 25: Failed FTP upload: 552", r.Result)
			wantStored(t, srv, "/logs/app.log", "line 1\n")
			r = s.Curl(t, "/logs/new.log", "-T", "line2.txt")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			wantStored(t, srv, "/logs/new.log", "line 2\n")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			// lftp has no append: it resumes an upload with REST and STOR
			// (put -c), which the scenario does not refuse.
			s := realSession(t, srv, plainMode, map[string]string{"app.log": "line 1\nline 2\n"})
			r := s.LFTP(t, "put -c app.log -o /logs/app.log")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			wantLog(t, srv, []string{"REST 7 350", "STOR logs/app.log 150 226"}, "APPE", "REST", "STOR")
			wantStored(t, srv, "/logs/app.log", "line 1\nline 2\n")
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(
				rc.Step{Op: "appe", Path: "/logs/app.log", Data: "line 2\n"},
				rc.Step{Op: "stor", Path: "/logs/new.log", Data: "line 2\n"})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"appe /logs/app.log → ftplib.error_perm: 552 Requested file action aborted. Exceeded storage allocation.",
				"stor /logs/new.log → ok: 226 Closing transfer connection")
			wantStored(t, srv, "/logs/app.log", "line 1\n")
		},
	},
	"idle-timeout": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			t.Skip("curl sends its commands back to back and quits: it has no way to leave a session idle")
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			// lftp notices the closed connection and reconnects.
			r := realSession(t, srv, plainMode, nil).LFTP(t, "quote NOOP", "sleep 3", "quote NOOP")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			if r.Stdout != "200 OK\n200 OK\n" {
				t.Fatalf("replies %q", r.Stdout)
			}
			wantLog(t, srv, []string{"<connect> 220", "<connect> 220"}, "<connect>")
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			// ftplib reads the 421 as the answer to its next command.
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "sleep", Seconds: 3}, rc.Step{Op: "noop"})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"sleep → ok",
				"noop → ftplib.error_temp: 421 command timeout (2 seconds): closing control connection")
		},
	},
	"third-connection-refused": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			for _, want := range []string{"exit 0", "exit 0", "exit 28: Timeout was reached", "exit 0"} {
				r := s.Curl(t, "/", "-I")
				wantObserved(t, srv, rc.Curl, r.Observed(), want, r.Result)
			}
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			for _, want := range []string{"exit 0", "exit 0", "exit 1: quote: NOOP: Fatal error: max-retries exceeded (421 Too many users, try again later)"} {
				r := s.LFTP(t, "quote NOOP")
				wantObserved(t, srv, rc.LFTP, r.Observed(), want, r.Result)
			}
			// with retries allowed, lftp's next connection gets in
			r := s.LFTP(t, "set net:max-retries 2", "quote NOOP")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "connect"}, rc.Step{Op: "login"}, rc.Step{Op: "connect"}, rc.Step{Op: "connect"}, rc.Step{Op: "login"})...)
			wantSteps(t, srv, r,
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue",
				"connect → ftplib.error_temp: 421 Too many users, try again later",
				"connect → ok: 220 mockftpd ready",
				"login → ok: 230 Password ok, continue")
		},
	},
	"user-locked-out": {
		rc.Curl: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, map[string]string{"report.csv": "a,b\n"})
			s.User, s.Password = "bob", "bob-pw"
			r := s.Curl(t, "/", "-I")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 67: Access denied: 530", r.Result)
			s.User, s.Password = "alice", "alice-pw"
			r = s.Curl(t, "/out/report.csv", "-T", "report.csv")
			wantObserved(t, srv, rc.Curl, r.Observed(), "exit 0", r.Result)
			wantStored(t, srv, "/out/report.csv", "a,b\n")
			wantVerified(t, srv)
		},
		rc.LFTP: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, map[string]string{"report.csv": "a,b\n"})
			s.User, s.Password = "bob", "bob-pw"
			r := s.LFTP(t, "quote NOOP")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 1: quote: NOOP: Login failed: 530 Not logged in", r.Result)
			s.User, s.Password = "alice", "alice-pw"
			r = s.LFTP(t, "put report.csv -o /out/report.csv")
			wantObserved(t, srv, rc.LFTP, r.Observed(), "exit 0", r.Result)
			wantStored(t, srv, "/out/report.csv", "a,b\n")
			wantVerified(t, srv)
		},
		rc.Ftplib: func(t *testing.T, srv *ftptest.Server) {
			s := realSession(t, srv, plainMode, nil)
			// (no command after the 530: the scenario expects none)
			bob := s.Ftplib(t, rc.Step{Op: "connect"}, rc.Step{Op: "login", User: "bob", Password: "bob-pw"})
			alice := s.Ftplib(t, rc.Step{Op: "connect"}, rc.Step{Op: "login", User: "alice", Password: "alice-pw"},
				rc.Step{Op: "stor", Path: "/out/report.csv", Data: "a,b\n"})
			wantSteps(t, srv, bob,
				"connect → ok: 220 mockftpd ready",
				"login bob → ftplib.error_perm: 530 Not logged in")
			wantSteps(t, srv, alice,
				"connect → ok: 220 mockftpd ready",
				"login alice → ok: 230 Password ok, continue",
				"stor /out/report.csv → ok: 226 Closing transfer connection")
			wantVerified(t, srv)
		},
	},
}

// TestReadyMadeScenariosRealClients runs each ready-made scenario with
// curl, lftp and Python ftplib, each against a server of its own, and
// checks that every scenario file has a test for every client.
func TestReadyMadeScenariosRealClients(t *testing.T) {
	t.Parallel()
	eachScenarioFile(t, "scenarios", 12, testNames(realScenarioTests), func(t *testing.T, name, file string, _ *scenario.Scenario) {
		for _, c := range rc.All {
			t.Run(string(c), func(t *testing.T) {
				t.Parallel()
				test, ok := realScenarioTests[name][c]
				if !ok {
					t.Fatalf("no %s test for %s", c.Name(), file)
				}
				rc.Require(t, c)
				test(t, ftptest.New(t, ftptest.WithScenarioFile(file)))
			})
		}
	})
}

// wantTransferModes fails the test unless the server's transfers used
// exactly the modes given, in order.
func wantTransferModes(t *testing.T, srv *ftptest.Server, modes ...string) {
	t.Helper()
	var got []string
	for _, e := range srv.Journal() {
		if e.Transfer != nil {
			got = append(got, e.Transfer.Mode)
		}
	}
	if strings.Join(got, ",") != strings.Join(modes, ",") {
		t.Fatalf("transfers used %v, want %v; journal:%s", got, modes, journalText(srv))
	}
}

// wantVerified fails the test unless the scenario's expectations are met.
func wantVerified(t *testing.T, srv *ftptest.Server) {
	t.Helper()
	if rep := srv.Verify(); !rep.OK {
		t.Fatalf("expectations not met:\n%s\njournal:%s", rep, journalText(srv))
	}
}
