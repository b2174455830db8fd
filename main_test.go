// Package mockftpd_test holds the end-to-end tests of mockftpd: the
// ready-made scenarios and the reply-code matrix, driven by jlaffaye/ftp.
package mockftpd_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"

	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/scenario"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Short names for the shared test clients.
var (
	dial         = tc.Dial
	login        = tc.Login
	rawDial      = tc.RawDial
	deadlineDial = tc.DeadlineDial
	wantReply    = tc.WantReply
)

type ftpConn = ftp.ServerConn

func retr(c *ftpConn, path string) ([]byte, error) { return tc.Retr(c, path, 0) }

func retrFrom(c *ftpConn, path string, offset uint64) ([]byte, error) {
	return tc.Retr(c, path, offset)
}

// eachScenarioFile runs run, as a parallel subtest, for every *.yaml file
// of dir, after checking the file: it loads, starts with a comment, and is
// named and described. Every file must have a test in names, and every
// name a file; at least min files are expected.
func eachScenarioFile(t *testing.T, dir string, min int, names []string, run func(t *testing.T, name, file string, sc *scenario.Scenario)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) < min {
		t.Fatalf("found %d scenario files in %s (%v), want at least %d", len(files), dir, err, min)
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(dir, name+".yaml")); err != nil {
			t.Errorf("test for a missing scenario %s/%s.yaml", dir, name)
		}
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if !slices.Contains(names, name) {
			t.Errorf("%s has no test", f)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc, err := scenario.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Name != name || sc.Description == "" {
				t.Fatalf("name %q, description %q: want the file's name and a description", sc.Name, sc.Description)
			}
			if raw, _ := os.ReadFile(f); !bytes.HasPrefix(raw, []byte("# ")) {
				t.Fatal("the file does not start with a comment saying what it does")
			}
			run(t, name, f, sc)
		})
	}
}

// testNames lists the keys of a table of scenario tests.
func testNames[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
