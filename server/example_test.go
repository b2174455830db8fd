package server_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// A server on a free loopback port, with a rule that refuses the second
// upload; the test inspects what the client stored and the journal.
func ExampleStart() {
	srv, err := server.Start(server.Config{
		Scenario: scenario.New("example").Rule(scenario.On("STOR").Nth(2).Reply(452, "Disk full")),
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := ftp.Dial(srv.Addr(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		panic(err)
	}
	_ = c.Login("anyone", "anything")
	fmt.Println(c.Stor("/a.txt", strings.NewReader("hello")))
	fmt.Println(c.Stor("/b.txt", strings.NewReader("world")))
	_ = c.Quit()

	data, _ := srv.ReadFile("/a.txt")
	fmt.Printf("stored: %s\n", data)
	e, _ := srv.WaitCommand("STOR", "/b.txt", time.Second)
	fmt.Println(e.Codes, e.Rule)
	// Output:
	// <nil>
	// 452 "Disk full"
	// stored: hello
	// [452] rule #1
}
