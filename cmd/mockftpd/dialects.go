package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mockftpd/mockftpd/dialect"
)

// runDialects lists the dialects (the server products mockftpd can look
// like) with what each changes, or with "show NAME..." all they do.
func runDialects(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "show" {
		return runDialectsShow(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("mockftpd dialects", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON: [{name, product, summary, sources}]")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: mockftpd dialects [-json]          list the server products mockftpd can look like
       mockftpd dialects show NAME...     all a dialect does: greeting, replies, listings, FTPS

Use one with mockftpd -dialect NAME (MOCKFTPD_DIALECT), or settings: {dialect: NAME}
in a scenario; the scenario's own settings and rules win over it.
`)
		fs.PrintDefaults()
	}
	filters, err := parseInterspersed(fs, args)
	if err != nil {
		return exitParse(err)
	}
	if len(filters) > 0 {
		fmt.Fprintf(stderr, "mockftpd dialects: unexpected argument %q (did you mean mockftpd dialects show %s?)\n", filters[0], filters[0])
		return 2
	}
	type row struct {
		Name    string           `json:"name"`
		Product string           `json:"product"`
		Summary string           `json:"summary"`
		Sources []dialect.Source `json:"sources"`
	}
	var rows []row
	for _, d := range dialect.All() {
		rows = append(rows, row{d.Name, d.Product, d.Summary, d.Sources})
	}
	if *asJSON {
		return writeJSON(stdout, stderr, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPRODUCT\tWHAT IT CHANGES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Product, r.Summary)
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}

func runDialectsShow(names []string, stdout, stderr io.Writer) int {
	if len(names) == 0 {
		fmt.Fprintln(stderr, "usage: mockftpd dialects show NAME... (mockftpd dialects lists the names)")
		return 2
	}
	status := 0
	for i, name := range names {
		d, ok := dialect.Lookup(name)
		if !ok {
			fmt.Fprintln(stderr, "mockftpd dialects show:", dialect.Check(name))
			status = 1
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s: %s\n%s\n\n", d.Name, d.Product, d.Summary)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, a := range d.Aspects() {
			v := a.Value
			if v == "" {
				v = "(as mockftpd)"
			}
			fmt.Fprintf(tw, "%s\t%s\n", a.Name, v)
		}
		_ = tw.Flush()
		fmt.Fprintln(stdout, "\nSources:")
		for _, s := range d.Sources {
			fmt.Fprintf(stdout, "  - %s: %s\n", s.What, s.Where)
		}
		if len(d.Unverified) > 0 {
			keys := make([]string, len(d.Unverified))
			for i, k := range d.Unverified {
				keys[i] = string(k)
			}
			fmt.Fprintf(stdout, "  - written from the product's known wording, shown by no cited source: %s\n", strings.Join(keys, ", "))
		}
	}
	return status
}
