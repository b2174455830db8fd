package ftpcode_test

import (
	"fmt"

	"github.com/mockftpd/mockftpd/ftpcode"
)

func ExampleLookup() {
	c, ok := ftpcode.Lookup(452)
	fmt.Println(ok, c.Class)
	fmt.Println(c.Meaning)
	fmt.Println(c.Code, c.Text)
	fmt.Println(c.Commands)
	// Output:
	// true 4 transient
	// insufficient storage space in system
	// 452 Insufficient storage space in system.
	// [STOR APPE STOU MKD]
}

func ExampleDefaultText() {
	fmt.Println(ftpcode.DefaultText(227))
	fmt.Println(ftpcode.DefaultText(499))
	// Output:
	// Entering Passive Mode (127,0,0,1,4,1).
	// Non-standard reply: transient failure.
}
