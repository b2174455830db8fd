package dialect_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/dialectprobe"
	"github.com/mockftpd/mockftpd/internal/realftpd"
	"github.com/mockftpd/mockftpd/server"
)

// probeMockftpd runs the probe against mockftpd with the dialect kind,
// on the probe's tree in a host folder, as probeReal runs it against the
// real server.
func probeMockftpd(t *testing.T, kind string, withTLS, active bool, now time.Time) capturedRun {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "pub"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := dialectprobe.Seed(root, filepath.Join(root, "pub"), now); err != nil {
		t.Fatal(err)
	}
	// the folders as the real servers' runs have them
	for p, mode := range map[string]os.FileMode{root: 0o755, filepath.Join(root, "pub"): 0o777} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, dialectprobe.FixedTime, dialectprobe.FixedTime); err != nil {
			t.Fatal(err)
		}
	}
	mode := server.TLSNone
	if withTLS {
		mode = server.TLSExplicit
	}
	user, pass := "bob", "secret"
	srv := ftptest.New(t, ftptest.WithRoot(root), ftptest.WithTLS(mode), ftptest.WithUser(user, pass),
		ftptest.WithConfig(func(c *server.Config) { c.Dialect = kind }))
	tg := dialectprobe.Target{Addr: srv.Addr(), User: user, Password: pass, BadUser: "nobody", BadPassword: "wrong", Dir: "pub", Active: active}
	if withTLS {
		tg.TLS = &tls.Config{ServerName: "127.0.0.1", InsecureSkipVerify: true} //nolint:gosec // mockftpd's own certificate
	}
	tr, err := dialectprobe.Run(tg, dialectprobe.Script)
	if err != nil {
		t.Fatalf("%v\n%s", err, tr)
	}
	text := "# now " + now.UTC().Format(time.RFC3339) + "\n" + tr.String()
	return parseCapture(t, strings.NewReader(text))
}

// mockftpd with -dialect vsftpd, proftpd or pure-ftpd answers the probe
// as the real server did (testdata/real/), step by step, after the
// documented normalisations.
func TestEngineMatchesRealServers(t *testing.T) {
	for kind := range realTargets {
		for _, r := range runs {
			t.Run(kind+r.suffix, func(t *testing.T) {
				t.Parallel()
				real := readCapture(t, kind+r.suffix)
				got := probeMockftpd(t, kind, r.tls, r.active, real.now) // the tree's times as the capture's
				compareEngine(t, kind, real, got)
			})
		}
	}
}

// engineNormalisations hide, on top of normalisations, what differs
// only because of how the test runs the real server: ProFTPD's
// ServerName ("mockftpd test" in its configuration, the dialect keeps
// Debian's), and the group ProFTPD's MLSD names (the test user's group
// on the host; mockftpd's users have none and show their name).
var engineNormalisations = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^220 ProFTPD Server \([^)]*\)`), "220 ProFTPD Server (NAME)"},
	{regexp.MustCompile(`^211-Status of '[^']*'`), "211-Status of 'NAME'"},
	{regexp.MustCompile(`UNIX\.groupname=[^;]*;`), "UNIX.groupname=G;"},
}

// rootOnly are the steps whose outcome follows a permission mockftpd,
// running as root, was not refused: the session is elsewhere since.
var rootOnly = map[string]bool{"main/CDUP ok": true}

func normaliseEngine(lines []string) []string {
	out := normalise(lines)
	for i, l := range out {
		for _, n := range engineNormalisations {
			l = n.re.ReplaceAllString(l, n.repl)
		}
		out[i] = l
	}
	return out
}

// The same against the real servers running now (CI installs them).
func TestEngineMatchesLiveServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real FTP servers")
	}
	for _, kind := range realftpd.Kinds {
		for _, r := range runs {
			t.Run(string(kind)+r.suffix, func(t *testing.T) {
				t.Parallel()
				tr, now := probeReal(t, kind, r.tls, r.active)
				real := parseCapture(t, strings.NewReader("# now "+now.UTC().Format(time.RFC3339)+"\n"+tr.String()))
				compareEngine(t, string(kind), real, probeMockftpd(t, string(kind), r.tls, r.active, real.now))
			})
		}
	}
}

func compareEngine(t *testing.T, kind string, real, got capturedRun) {
	t.Helper()
	for session, g := range real.greeting {
		if w, m := normaliseEngine(g), normaliseEngine(got.greeting[session]); strings.Join(w, "\n") != strings.Join(m, "\n") {
			t.Errorf("%s greeting:\n got %q\nwant %q", session, m, w)
		}
	}
	if len(real.steps) != len(got.steps) {
		var a, b []string
		for _, s := range real.steps {
			a = append(a, s.session+" "+s.line)
		}
		for _, s := range got.steps {
			b = append(b, s.session+" "+s.line)
		}
		t.Fatalf("mockftpd ran %d steps, the real server %d:\n%s\n----\n%s", len(got.steps), len(real.steps), strings.Join(b, "\n"), strings.Join(a, "\n"))
	}
	for i, rs := range real.steps {
		gs := got.steps[i]
		if rs.key == "" || rs.line != gs.line && !strings.HasPrefix(rs.line, "PORT") {
			continue
		}
		if why, skip := configSpecific[kind][rs.session+"/"+rs.key]; skip {
			t.Logf("%s %s: not compared: %s", rs.session, rs.key, why)
			continue
		}
		if (strings.HasSuffix(rs.key, " "+dialect.Permission) || rootOnly[rs.session+"/"+rs.key]) && os.Geteuid() == 0 {
			t.Logf("%s %s: not compared: mockftpd runs as root here, and a host folder grants root what the real server's unprivileged user was refused", rs.session, rs.key)
			continue
		}
		verb, _, _ := strings.Cut(rs.line, " ")
		w, g := normaliseEngine(rs.observed(kind, verb)), normaliseEngine(gs.observed(kind, verb))
		if strings.Join(w, "\n") != strings.Join(g, "\n") {
			t.Errorf("%s > %s [%s]:\n got %q\nwant %q", rs.session, rs.line, rs.key, g, w)
		}
	}
}
