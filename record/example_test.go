package record_test

import (
	"fmt"
	"net"
	"time"

	"github.com/mockftpd/mockftpd/record"
)

// A recording proxy in front of a real FTP server: clients connect to the
// listener, and the transcript turns into a scenario when it is done.
func ExampleProxy() {
	p, err := record.New(record.Config{Upstream: "ftp.example.com:21"})
	if err != nil {
		panic(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = p.Serve(l) }()
	// ... clients talk to l.Addr() ...
	_ = p.Close()
	rec := record.Scenario(p.Transcript(), record.Options{})
	fmt.Println(len(rec.Rules), "rules")
	// Output: 0 rules
}

// A transcript of one session becomes a scenario file.
func ExampleScenario() {
	tr := &record.Transcript{
		Upstream: "ftp.example.com:21",
		Started:  time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Sessions: []*record.Session{{
			Number: 1,
			Exchanges: []*record.Exchange{
				{Replies: []record.Reply{{Code: 220, Raw: "220 (vsFTPd 3.0.3)\r\n"}}},
				{Verb: "USER", Arg: "anonymous", Cwd: "/", Replies: []record.Reply{{Code: 331, Raw: "331 Please specify the password.\r\n"}}},
				{Verb: "PASS", Arg: "me@example.com", Cwd: "/", User: "anonymous", Replies: []record.Reply{{Code: 230, Raw: "230 Login successful.\r\n"}}},
				{Verb: "SIZE", Arg: "/pub/a.txt", Cwd: "/", User: "anonymous", Replies: []record.Reply{{Code: 213, Raw: "213 6\r\n"}}},
				{Verb: "RETR", Arg: "/pub/missing.txt", Cwd: "/", User: "anonymous", Replies: []record.Reply{{Code: 550, Raw: "550 Failed to open file.\r\n"}}},
			},
		}},
	}
	y, err := record.Scenario(tr, record.Options{}).Format()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(y))
	// Output:
	// version: 1
	// name: recorded from ftp.example.com:21
	// description: |
	//   Recorded by mockftpd record from ftp.example.com:21 on 2024-05-01T12:00:00Z: 1 session, 4 commands.
	//   Passwords are not kept: PASS rules match the user name, any password.
	//   Listings are replayed byte for byte; files larger than 1MiB have their size and generated content.
	//   PASV/EPSV replies keep the server's wording with mockftpd's own data address.
	// files:
	//   - {path: /pub/a.txt, size: 6}
	// settings:
	//   banner: (vsFTPd 3.0.3)
	// rules:
	//   - when: {command: USER, arg: anonymous}
	//     reply: 331 Please specify the password.
	//   - when: {command: PASS, user: anonymous}
	//     reply: 230 Login successful.
	//   - when: {command: SIZE, arg: /pub/a.txt}
	//     reply: 213 6
	//   - when: {command: RETR, arg: /pub/missing.txt}
	//     reply: 550 Failed to open file.
}
