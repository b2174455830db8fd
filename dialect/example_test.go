package dialect_test

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/dialect"
)

// A dialect is data: look one up, ask it for a reply or a listing.
func Example() {
	d, ok := dialect.Lookup("iis")
	if !ok {
		panic("no iis dialect")
	}
	fmt.Println(d.Greeting)
	r, _ := d.Reply("CWD", dialect.NotFound, nil)
	fmt.Println(r)

	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	entries := []dialect.Entry{
		{Name: "reports", Mode: fs.ModeDir | 0o755, ModTime: time.Date(2024, 5, 2, 14, 30, 0, 0, time.UTC)},
		{Name: "data 2024.csv", Size: 1234, Mode: 0o644, ModTime: time.Date(2023, 12, 24, 9, 5, 0, 0, time.UTC)},
	}
	lines := func(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") } // LIST's lines end in CRLF
	fmt.Print(lines(d.LIST(entries, now, dialect.ListOptions{})))
	vs, _ := dialect.Lookup("vsftpd")
	fmt.Print(lines(vs.LIST(entries, now, dialect.ListOptions{})))
	// Output:
	// 220 Microsoft FTP Service
	// 550 The system cannot find the file specified.
	// 12-24-23  09:05AM                 1234 data 2024.csv
	// 05-02-24  02:30PM       <DIR>          reports
	// -rw-r--r--    1 1000     1000         1234 Dec 24 09:05 data 2024.csv
	// drwxr-xr-x    2 1000     1000            0 May 02 14:30 reports
}
