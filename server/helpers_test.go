package server_test

import (
	"testing"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"

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
	retr         = tc.Retr
	wantCode     = tc.WantReply
)

const clientTimeout = tc.Timeout

// tcDial dials jlaffaye/ftp with deadlines, without a testing.TB (for goroutines).
func tcDial(addr string) (*ftp.ServerConn, error) {
	return ftp.Dial(addr, ftp.DialWithDialFunc(deadlineDial))
}
