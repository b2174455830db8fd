package ftptest_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestReadmeMatchesTest keeps README.md's example and this package's copy
// of it identical.
func TestReadmeMatchesTest(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	test, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := func(s string) string {
		i := strings.Index(s, "func TestUploadReportsDiskFull")
		if i < 0 {
			return ""
		}
		j := strings.Index(s[i:], "\n}\n")
		return s[i : i+j]
	}
	if b := body(string(readme)); b == "" || b != body(string(test)) {
		t.Fatal("README.md's example differs from readme_test.go")
	}
}

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	srv := ftptest.New(t,
		ftptest.WithRoot(dir),
		ftptest.WithUser("alice", "pw"),
		ftptest.WithScenarioText("version: 1\nrules:\n  - when: {command: NOOP}\n    reply: 299 scripted\n"),
		ftptest.WithConfig(func(cfg *server.Config) { cfg.Banner = "hello tests" }),
	)
	c := tc.RawDial(t, srv.Addr())
	if msg := c.Expect(220); msg != "hello tests" {
		t.Fatalf("banner %q", msg)
	}
	c.Cmd(331, "USER alice")
	c.Cmd(230, "PASS pw")
	c.Cmd(299, "NOOP")
	jc := tc.Login(t, srv.Addr(), "alice", "pw")
	if err := jc.Stor("/on-disk.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitUpload("/on-disk.txt", time.Second); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "on-disk.txt")); err != nil || string(b) != "x" {
		t.Fatalf("host file %q, %v", b, err)
	}
}

func TestScenarioFileOption(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithScenarioFile(filepath.Join("..", "scenarios", "rename-refused.yaml")))
	c := tc.Login(t, srv.Addr(), "u", "p")
	tc.WantReply(t, c.Rename("/docs/draft.txt", "/docs/x.txt"), 553, "")
}

// TestSharedScenarioInParallel (issue 15): one scenario value serves three
// servers at once, the documented use; under -race nothing is written to
// it (each server works on a normalized copy).
func TestSharedScenarioInParallel(t *testing.T) {
	shared := scenario.New("shared").
		Rule(scenario.On("STOR").Nth(2).Reply(452, "")).
		Rule(scenario.On("RETR").Responses(scenario.ReplyStep(450, ""), scenario.PassStep())).
		ExpectCommand("STOR", "", -1)
	before := fmt.Sprintf("%+v", *shared)
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t, ftptest.WithScenario(shared))
			c := tc.Login(t, srv.Addr(), "u", "p")
			if err := c.Stor("/a", strings.NewReader("a")); err != nil {
				t.Fatal(err)
			}
			tc.WantReply(t, c.Stor("/b", strings.NewReader("b")), 452, "")
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		if after := fmt.Sprintf("%+v", *shared); after != before {
			t.Errorf("the caller's scenario was changed:\n%s\nbecame\n%s", before, after)
		}
	})
}

// TestNarrowAPI: rules, state, waits and the journal through the test
// server's own methods.
func TestNarrowAPI(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithScenarioText("version: 1\nrules:\n  - {when: {command: QUIT}, next_state: leaving}\n"))
	if err := srv.AddRule(scenario.On("MKD").Reply(550, "No dirs").Build()); err != nil {
		t.Fatal(err)
	}
	c := tc.RawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(550, "MKD /x")
	srv.ClearRules()
	c.Cmd(257, "MKD /y")
	c.Cmd(221, "QUIT")
	e, err := srv.WaitSessionEnd(1, tc.Timeout)
	if err != nil || e.Reason != journal.ReasonQuit {
		t.Fatalf("session end %+v, %v", e, err)
	}
	if srv.State() != "" { // the rule went with ClearRules before QUIT
		t.Fatalf("state %q", srv.State())
	}
	srv.SetState("down")
	if srv.State() != "down" {
		t.Fatal("SetState")
	}
	if got := srv.Journal(); got[0].Command != journal.Connect || got[len(got)-1].Command != journal.Disconnect {
		t.Fatalf("journal %+v", got)
	}
	if err := srv.Reset(); err != nil || len(srv.Journal()) != 0 || srv.State() != "" {
		t.Fatalf("after Reset: %v, %d entries, state %q", err, len(srv.Journal()), srv.State())
	}
}

// TestTLSOption: WithTLS serves FTPS with a certificate that
// ClientTLSConfig trusts, on the control and the data connections.
func TestTLSOption(t *testing.T) {
	for _, mode := range []server.TLSMode{server.TLSExplicit, server.TLSImplicit} {
		t.Run(string(mode), func(t *testing.T) {
			srv := ftptest.New(t, ftptest.WithTLS(mode))
			if cert := srv.Certificate(); cert == nil || len(cert.IPAddresses) == 0 {
				t.Fatalf("certificate %+v", cert)
			}
			opt := ftp.DialWithTLS(srv.ClientTLSConfig())
			if mode == server.TLSExplicit {
				opt = ftp.DialWithExplicitTLS(srv.ClientTLSConfig())
			}
			// (jlaffaye/ftp wraps TLS only around connections it dials itself)
			c, err := ftp.Dial(srv.Addr(), opt, ftp.DialWithTimeout(tc.Timeout))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Quit()
			if err := c.Login("u", "p"); err != nil {
				t.Fatal(err)
			}
			if err := c.Stor("/secret.txt", strings.NewReader("s3cret")); err != nil {
				t.Fatal(err)
			}
			if e, err := srv.WaitCommand("STOR", "/secret.txt", tc.Timeout); err != nil || e.Transfer == nil || !e.Transfer.TLS {
				t.Fatalf("STOR %+v, %v", e, err)
			}
		})
	}
}

// recorder is a testing.TB that keeps what a test server reports at
// cleanup, to check VerifyOnCleanup without failing this test.
type recorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) cleanUp() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// TestVerifyOnCleanup: the test fails at its end when an expectation is
// unmet, with the report; it passes when all are met.
func TestVerifyOnCleanup(t *testing.T) {
	sc := scenario.New("one upload").ExpectCommand("STOR", "/report.csv", 1)
	unmet := &recorder{TB: t}
	ftptest.New(unmet, ftptest.WithScenario(sc), ftptest.VerifyOnCleanup())
	unmet.cleanUp()
	if len(unmet.errors) != 1 || !strings.Contains(unmet.errors[0], "FAIL expected STOR /report.csv exactly 1 time, saw none") {
		t.Fatalf("reported %q", unmet.errors)
	}
	met := &recorder{TB: t}
	srv := ftptest.New(met, ftptest.WithScenario(sc), ftptest.VerifyOnCleanup())
	c := tc.Login(t, srv.Addr(), "u", "p")
	if err := c.Stor("/report.csv", strings.NewReader("a,b")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitUpload("/report.csv", tc.Timeout); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
	met.cleanUp()
	if len(met.errors) != 0 {
		t.Fatalf("reported %q", met.errors)
	}
}

// TestUIURL: the live page of a test's server lists its sessions, and
// stops with it (goleak checks that nothing is left).
func TestUIURL(t *testing.T) {
	srv := ftptest.New(t)
	c := tc.Login(t, srv.Addr(), "demo", "demo")
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitSessionEnd(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	u := srv.UIURL()
	if u2 := srv.UIURL(); u2 != u || !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, "/ui/") {
		t.Fatalf("UIURL = %q, then %q", u, u2)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `data-session="1"`) || !strings.Contains(string(page), ">quit<") {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, page)
	}
}
