package mockftpd_test

import (
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
)

// TestInjectOneCode is the README's example of injecting one code into a
// client's own test: the first upload gets 452 with the catalogue's text.
func TestInjectOneCode(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithScenario(scenario.New("disk-full").
		Rule(scenario.On("STOR").Times(1).Reply(452, ""))))
	c := login(t, srv.Addr(), "u", "p")
	err := c.Stor("/report.csv", strings.NewReader("a,b\n"))
	wantReply(t, err, 452, "Insufficient storage space in system.")
	mustOK(t, c.Stor("/report.csv", strings.NewReader("a,b\n"))) // the retry works
}
