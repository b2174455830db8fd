package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mockftpd/mockftpd/ftpcode"
)

// runCodes prints the reply-code catalogue as a table or as JSON.
func runCodes(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mockftpd codes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	codes := ftpcode.All()
	if *asJSON {
		type row struct {
			Code     int      `json:"code"`
			Class    string   `json:"class"`
			Meaning  string   `json:"meaning"`
			Text     string   `json:"text"`
			Commands []string `json:"commands"`
		}
		rows := make([]row, len(codes))
		for i, c := range codes {
			rows[i] = row{c.Code, c.Class, c.Meaning, c.Text, c.Commands}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tCLASS\tMEANING\tTYPICAL COMMANDS")
	for _, c := range codes {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Code, c.Class, c.Meaning, strings.Join(c.Commands, " "))
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}
