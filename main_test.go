// Package mockftpd_test holds the end-to-end tests of mockftpd: the
// ready-made scenarios and the reply-code matrix, driven by jlaffaye/ftp.
package mockftpd_test

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
	rawDial      = tc.RawDial
	deadlineDial = tc.DeadlineDial
	wantReply    = tc.WantReply
)

type ftpConn = ftp.ServerConn

func retr(c *ftpConn, path string) ([]byte, error) { return tc.Retr(c, path, 0) }

func retrFrom(c *ftpConn, path string, offset uint64) ([]byte, error) {
	return tc.Retr(c, path, offset)
}
