package ftptest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
)

// TestBuiltinScenarioFile serves library scenarios by name, as a test in
// another module does.
func TestBuiltinScenarioFile(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithScenarioFile("builtin:busy-file"))
	c := tc.Login(t, srv.Addr(), "u", "p")
	for range 2 {
		_, err := tc.Retr(c, "/data/export.csv", 0)
		tc.WantReply(t, err, 450, "File busy, try again later")
	}
	got, err := tc.Retr(c, "/data/export.csv", 0)
	if err != nil || !strings.HasPrefix(string(got), "id,name\n") {
		t.Fatalf("third RETR: %q, %v", got, err)
	}

	srv = ftptest.New(t, ftptest.WithScenarioFile("builtin:codes/452-stor"))
	c = tc.Login(t, srv.Addr(), "u", "p")
	tc.WantReply(t, c.Stor("/a.txt", strings.NewReader("a")), 452, "Insufficient storage space in system.")
}

// TestBuiltinScenarioFileUnknown fails the test with the library's error.
func TestBuiltinScenarioFileUnknown(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		ftptest.New(ft, ftptest.WithScenarioFile("builtin:busy-fil"))
	}()
	if !strings.Contains(ft.msg, `builtin:busy-fil: no such scenario in the library (did you mean "busy-file"?)`) {
		t.Fatalf("got %q", ft.msg)
	}
}

// fatalRecorder records Fatalf instead of ending the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}
