package mockftpd_test

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
)

// scenarioTests exercises every ready-made scenario under scenarios/ with
// jlaffaye/ftp, the way a client author would use it.
var scenarioTests = map[string]func(t *testing.T, srv *ftptest.Server){
	"disk-full-second-upload": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p")
		mustOK(t, c.Stor("/a.txt", strings.NewReader("a")))
		wantReply(t, c.Stor("/b.txt", strings.NewReader("b")), 452, "Insufficient storage space in system")
		mustOK(t, c.Stor("/c.txt", strings.NewReader("c")))
		if _, err := srv.ReadFile("/b.txt"); err == nil {
			t.Fatal("the refused upload was stored")
		}
	},
	"flaky-login": func(t *testing.T, srv *ftptest.Server) {
		c := dial(t, srv.Addr())
		wantReply(t, c.Login("demo", "demo"), 530, "Login authentication failed")
		if err := c.NoOp(); err == nil {
			t.Fatal("the server did not hang up after the 530")
		}
		c = login(t, srv.Addr(), "demo", "demo") // the retry works
		mustOK(t, c.NoOp())
	},
	"server-going-away": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p")
		got, err := retr(c, "/pub/report.txt")
		if err != nil || string(got) != "quarterly figures\n" {
			t.Fatalf("first RETR: %q, %v", got, err)
		}
		wantReply(t, c.NoOp(), 421, "Service not available, closing control connection")
		if err := c.NoOp(); err == nil {
			t.Fatal("still connected after 421")
		}
		// new sessions are refused too, at their first command
		// (jlaffaye/ftp keeps only the text of a failed USER, not its code)
		c2 := dial(t, srv.Addr())
		if err := c2.Login("u", "p"); err == nil || err.Error() != "Service not available, closing control connection" {
			t.Fatalf("login after the server went away: %v", err)
		}
	},
	"delayed-greeting": func(t *testing.T, srv *ftptest.Server) {
		// jlaffaye/ftp expects exactly 220 and fails on the 120
		_, err := ftp.Dial(srv.Addr(), ftp.DialWithDialFunc(deadlineDial))
		wantReply(t, err, 120, "Service ready in 2 seconds")
		// an RFC 959 client waits for the 220
		c := rawDial(t, srv.Addr())
		start := time.Now()
		c.Expect(120)
		c.Expect(220)
		// (the clocks of client and server differ by scheduling: a margin)
		if d := time.Since(start); d < 1900*time.Millisecond {
			t.Fatalf("220 came after %v, before the 2s delay", d)
		}
	},
	"slow-list": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p")
		start := time.Now()
		entries, err := c.List("/pub")
		if err != nil || len(entries) != 2 {
			t.Fatalf("LIST: %v, %v", entries, err)
		}
		if d := time.Since(start); d < 2900*time.Millisecond {
			t.Fatalf("listing came after %v, before the 3s delay", d)
		}
	},
	"download-aborted-then-resumed": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p")
		full, err := srv.ReadFile("/pub/big.bin")
		if err != nil || len(full) != 4<<20 {
			t.Fatalf("seed file: %d bytes, %v", len(full), err)
		}
		first, err := retr(c, "/pub/big.bin")
		wantReply(t, err, 426, "Connection closed; transfer aborted")
		if len(first) != 1<<20 || !bytes.Equal(first, full[:1<<20]) {
			t.Fatalf("first download: %d bytes, want the first MiB", len(first))
		}
		rest, err := retrFrom(c, "/pub/big.bin", uint64(len(first)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(append(first, rest...), full) {
			t.Fatal("resumed download differs from the file")
		}
	},
	"rename-refused": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p")
		wantReply(t, c.Rename("/docs/draft.txt", "/docs/final.txt"), 553, "Requested action not taken. File name not allowed.")
		if _, err := srv.ReadFile("/docs/draft.txt"); err != nil {
			t.Fatal("the file lost its name:", err)
		}
	},
	"no-epsv": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p") // tries EPSV, gets 502, uses PASV
		got, err := retr(c, "/pub/file.txt")
		if err != nil || string(got) != "reached over PASV\n" {
			t.Fatalf("RETR: %q, %v", got, err)
		}
		modes := map[string]bool{}
		for _, e := range srv.Journal() {
			if e.Transfer != nil {
				modes[e.Transfer.Mode] = true
			}
			if e.Command == "EPSV" && (len(e.Codes) != 1 || e.Codes[0] != 502) {
				t.Fatalf("EPSV got %v", e.Codes)
			}
		}
		if !modes["PASV"] || modes["EPSV"] {
			t.Fatalf("transfer modes %v, want PASV only", modes)
		}
	},
	"no-mlsd": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p") // FEAT lacks MLST: LIST is used
		entries, err := c.List("/pub")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != "one.txt,sub,two.txt" {
			t.Fatalf("LIST names %v", names)
		}
		for _, e := range srv.Journal() {
			if e.Command == "MLSD" {
				t.Fatal("the client used MLSD although FEAT did not offer it")
			}
		}
	},
	"busy-file": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p")
		for range 2 {
			_, err := retr(c, "/data/export.csv")
			wantReply(t, err, 450, "File busy, try again later")
		}
		got, err := retr(c, "/data/export.csv")
		if err != nil || !strings.HasPrefix(string(got), "id,name") {
			t.Fatalf("third RETR: %q, %v", got, err)
		}
	},
	"quota-exceeded-on-append": func(t *testing.T, srv *ftptest.Server) {
		c := login(t, srv.Addr(), "u", "p")
		wantReply(t, c.Append("/logs/app.log", strings.NewReader("line 2\n")), 552, "Requested file action aborted. Exceeded storage allocation.")
		if b, _ := srv.ReadFile("/logs/app.log"); string(b) != "line 1\n" {
			t.Fatalf("the log changed: %q", b)
		}
		mustOK(t, c.Stor("/logs/new.log", strings.NewReader("fresh\n")))
	},
	"idle-timeout": func(t *testing.T, srv *ftptest.Server) {
		c := rawDial(t, srv.Addr())
		c.Expect(220)
		c.Cmd(331, "USER u")
		start := time.Now() // the idle clock starts when PASS arrives
		c.Cmd(230, "PASS p")
		if msg := c.Expect(421); !strings.Contains(msg, "timeout") {
			t.Fatalf("421 text %q", msg)
		}
		if d := time.Since(start); d < 1900*time.Millisecond {
			t.Fatalf("closed after %v of idleness, want 2s", d)
		}
	},
	"third-connection-refused": func(t *testing.T, srv *ftptest.Server) {
		login(t, srv.Addr(), "u", "p")
		login(t, srv.Addr(), "u", "p")
		_, err := ftp.Dial(srv.Addr(), ftp.DialWithDialFunc(deadlineDial))
		wantReply(t, err, 421, "Too many users, try again later")
		login(t, srv.Addr(), "u", "p") // the fourth works
	},
	"user-locked-out": func(t *testing.T, srv *ftptest.Server) {
		c := dial(t, srv.Addr())
		wantReply(t, c.Login("bob", "bob-pw"), 530, "Not logged in")
		a := login(t, srv.Addr(), "alice", "alice-pw")
		mustOK(t, a.Stor("/out/report.csv", strings.NewReader("a,b\n")))
		if _, err := srv.WaitCommand("STOR", "/out/report.csv", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if rep := srv.Verify(); !rep.OK {
			t.Fatalf("expectations not met:\n%s", rep)
		}
	},
}

// TestReadyMadeScenarios runs each scenario file's test, and checks that
// every file has one.
func TestReadyMadeScenarios(t *testing.T) {
	eachScenarioFile(t, "scenarios", 12, testNames(scenarioTests), func(t *testing.T, name, _ string, sc *scenario.Scenario) {
		scenarioTests[name](t, ftptest.New(t, ftptest.WithScenario(sc)))
	})
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
