package main

import (
	"fmt"
	"io"

	"github.com/mockftpd/mockftpd/scenarios"
)

// runValidate checks scenario files (or builtin:NAME) and prints located
// errors.
func runValidate(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: mockftpd validate FILE...")
		return 2
	}
	bad := 0
	for _, f := range files {
		sc, err := scenarios.LoadFile(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d rules, %d files, %d expectations)\n", f, len(sc.Rules), len(sc.Files), len(sc.Expect))
	}
	if bad > 0 {
		return 1
	}
	return 0
}
