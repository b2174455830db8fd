package server_test

import (
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Short names for the shared test clients.
var (
	dial         = tc.Dial
	login        = tc.Login
	dialTLS      = tc.DialTLS
	rawDial      = tc.RawDial
	deadlineDial = tc.DeadlineDial
	portArg      = tc.PortArg
	pasvAddr     = tc.PasvAddr
	epsvPort     = tc.EPSVPort
	retr         = tc.Retr
	wantCode     = tc.WantReply
)

const clientTimeout = tc.Timeout

// tcDial dials jlaffaye/ftp with deadlines, without a testing.TB (for goroutines).
func tcDial(addr string) (*ftp.ServerConn, error) {
	return ftp.Dial(addr, ftp.DialWithDialFunc(deadlineDial))
}

// waitSessionsEnd waits, at most limit, until srv has no session left, and
// fails with why if one remains. It bounds a wait; it does not check speed.
func waitSessionsEnd(t *testing.T, srv *ftptest.Server, limit time.Duration, why string) {
	t.Helper()
	for deadline := time.Now().Add(limit); srv.Sessions() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(why)
		}
	}
}
