package ftptest_test

import (
	"errors"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
)

// TestUploadReportsDiskFull is the example of README.md, word for word.
func TestUploadReportsDiskFull(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithScenario(scenario.New("disk-full").
		Rule(scenario.On("STOR").Nth(2).Reply(452, "Insufficient storage space"))))

	c, err := ftp.Dial(srv.Addr(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("any", "thing"); err != nil { // without users, any login works
		t.Fatal(err)
	}
	if err := c.Stor("/a.txt", strings.NewReader("first")); err != nil {
		t.Fatal(err)
	}
	err = c.Stor("/b.txt", strings.NewReader("second")) // the second STOR gets 452
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code != 452 {
		t.Fatalf("got %v, want 452", err)
	}
	if data, _ := srv.ReadFile("/a.txt"); string(data) != "first" { // what the client uploaded
		t.Fatalf("stored %q", data)
	}
}
