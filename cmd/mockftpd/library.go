package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mockftpd/mockftpd/scenarios"
)

// runScenarios lists the ready-made scenarios built into the binary, or
// with "show NAME..." prints their files.
func runScenarios(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "show" {
		return runScenariosShow(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("mockftpd scenarios", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON: [{name, description, path}]")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: mockftpd scenarios [-json] [TEXT...]   list the ready-made scenarios (those whose name contains a TEXT)
       mockftpd scenarios show NAME...       print their files (to copy and edit)

Serve one with mockftpd -scenario builtin:NAME (in Go: ftptest.WithScenarioFile("builtin:NAME")).
`)
		fs.PrintDefaults()
	}
	filters, err := parseInterspersed(fs, args)
	if err != nil {
		return exitParse(err)
	}
	var rows []scenarios.Info
	for _, in := range scenarios.List() {
		if matchesAny(in.Name, filters) {
			rows = append(rows, in)
		}
	}
	if len(rows) == 0 {
		fmt.Fprintf(stderr, "mockftpd scenarios: no scenario name contains %s\n", strings.Join(quoteAll(filters), " or "))
		return 1
	}
	if *asJSON {
		return writeJSON(stdout, stderr, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION")
	for _, in := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", in.Name, in.Description)
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}

func runScenariosShow(names []string, stdout, stderr io.Writer) int {
	if len(names) == 0 {
		fmt.Fprintln(stderr, "usage: mockftpd scenarios show NAME... (mockftpd scenarios lists the names)")
		return 2
	}
	status := 0
	for i, name := range names {
		name, _ = scenarios.Builtin(name)
		data, err := scenarios.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "mockftpd scenarios show:", err)
			status = 1
			continue
		}
		if len(names) > 1 {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stdout, "# ---- builtin:%s\n", strings.TrimSuffix(name, ".yaml"))
		}
		_, _ = stdout.Write(data)
	}
	return status
}

func matchesAny(name string, filters []string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if strings.Contains(name, strings.TrimPrefix(f, scenarios.Prefix)) {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// parseInterspersed parses fs's flags wherever they stand among args
// ("codes 452 -json" as well as "codes -json 452") and returns the other
// arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		if args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// exitParse is the exit code for a flag error: 0 for -help, else 2.
func exitParse(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
}

// writeJSON prints v as indented JSON.
func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
