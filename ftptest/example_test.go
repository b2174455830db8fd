package ftptest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// A server whose second upload fails, checked through the journal and the
// scenario's expectations. (In a test, pass the test's *testing.T; add
// ftptest.VerifyOnCleanup() to fail it when an expectation is unmet.)
func ExampleNew() {
	t := &testing.T{} // in a real test, the test's own *testing.T
	srv := ftptest.New(t,
		ftptest.WithScenario(scenario.New("disk-full").
			Rule(scenario.On("STOR").Nth(2).Reply(452, "Disk full")).
			ExpectCommand("STOR", "", 2)))
	defer srv.Close()

	c, _ := ftp.Dial(srv.Addr(), ftp.DialWithTimeout(5*time.Second))
	_ = c.Login("anyone", "anything")
	fmt.Println(c.Stor("/a.txt", strings.NewReader("hello")))
	fmt.Println(c.Stor("/b.txt", strings.NewReader("world")))
	_ = c.Quit()

	end, _ := srv.WaitSessionEnd(1, 5*time.Second)
	fmt.Println(end.Command, end.Reason)
	fmt.Println(srv.Verify().OK)
	// Output:
	// <nil>
	// 452 "Disk full"
	// <disconnect> quit
	// true
}

// An FTPS server and a client that trusts its certificate.
func ExampleWithTLS() {
	t := &testing.T{}
	srv := ftptest.New(t, ftptest.WithTLS(server.TLSExplicit))
	defer srv.Close()

	c, err := ftp.Dial(srv.Addr(), ftp.DialWithExplicitTLS(srv.ClientTLSConfig()), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = c.Login("anyone", "anything")
	_ = c.Stor("/secret.txt", strings.NewReader("s3cret"))
	_ = c.Quit()
	e, _ := srv.WaitCommand("STOR", "/secret.txt", 5*time.Second)
	fmt.Println(e.Transfer.Mode, e.Transfer.TLS, e.Transfer.End)
	// Output:
	// EPSV true complete
}

// The live page of a test's server, to watch its client while debugging:
// open the address in a browser while the test runs (a time.Sleep keeps
// it running as long as you look).
func ExampleServer_UIURL() {
	t := &testing.T{}
	srv := ftptest.New(t)
	defer srv.Close()
	u := srv.UIURL() // also logged with t.Logf
	fmt.Println(strings.HasPrefix(u, "http://127.0.0.1:"), strings.HasSuffix(u, "/ui/"))
	// Output: true true
}
