package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mockftpd/mockftpd/ftpcode"
	"github.com/mockftpd/mockftpd/scenarios"
)

// runCodes prints the reply-code catalogue as a table or as JSON, all of
// it or the codes the arguments select (452, 4xx, 45x).
func runCodes(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mockftpd codes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: mockftpd codes [-json] [CODE...]
  CODE is a reply code (452) or a pattern with x for any digit (4xx, 45x).
`)
		fs.PrintDefaults()
	}
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return exitParse(err)
	}
	codes, status := selectCodes(args, stderr)
	if status != 0 {
		return status
	}
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
		return writeJSON(stdout, stderr, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tCLASS\tMEANING\tTYPICAL COMMANDS")
	for _, c := range codes {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Code, c.Class, c.Meaning, strings.Join(c.Commands, " "))
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	if len(args) > 0 {
		printCodeScenarios(stdout, codes)
	}
	return 0
}

// selectCodes returns the catalogue's codes that args select (all of them
// without args), or an exit status with the reason on stderr.
func selectCodes(args []string, stderr io.Writer) ([]ftpcode.Code, int) {
	all := ftpcode.All()
	if len(args) == 0 {
		return all, 0
	}
	picked := map[int]bool{}
	for _, a := range args {
		pattern := strings.ToLower(strings.TrimSpace(a))
		if !validCodePattern(pattern) {
			fmt.Fprintf(stderr, "mockftpd codes: %q: want a reply code from 100 to 699 (452) or a pattern with x for any digit (4xx, 45x)\n", a)
			return nil, 2
		}
		n := 0
		for _, c := range all {
			if codeMatches(pattern, c.Code) {
				picked[c.Code] = true
				n++
			}
		}
		if n == 0 {
			if code, err := strconv.Atoi(pattern); err == nil {
				fmt.Fprintf(stderr, "mockftpd codes: %d is not in the catalogue (mockftpd codes lists its %d codes); a scenario can still send it, e.g. \"reply: %d %s\"\n",
					code, len(all), code, ftpcode.DefaultText(code))
			} else {
				fmt.Fprintf(stderr, "mockftpd codes: no code of the catalogue matches %s (mockftpd codes lists its %d codes)\n", a, len(all))
			}
			return nil, 1
		}
	}
	var out []ftpcode.Code
	for _, c := range all {
		if picked[c.Code] {
			out = append(out, c)
		}
	}
	return out, 0
}

// validCodePattern accepts three characters, digits or x, the first from
// 1 to 6 (or x).
func validCodePattern(p string) bool {
	if len(p) != 3 || (p[0] != 'x' && (p[0] < '1' || p[0] > '6')) {
		return false
	}
	for i := range 3 {
		if p[i] != 'x' && (p[i] < '0' || p[i] > '9') {
			return false
		}
	}
	return true
}

func codeMatches(pattern string, code int) bool {
	s := strconv.Itoa(code)
	for i := range 3 {
		if pattern[i] != 'x' && pattern[i] != s[i] {
			return false
		}
	}
	return true
}

// printCodeScenarios lists the ready-made scenarios that inject the codes
// (the library's codes/NNN-*.yaml).
func printCodeScenarios(w io.Writer, codes []ftpcode.Code) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	for _, c := range codes {
		prefix := fmt.Sprintf("codes/%d-", c.Code)
		for _, in := range scenarios.List() {
			if !strings.HasPrefix(in.Name, prefix) {
				continue
			}
			if n == 0 {
				fmt.Fprintln(tw, "\nReady-made scenarios (mockftpd -scenario builtin:NAME):")
			}
			n++
			fmt.Fprintf(tw, "  %s\t%s\n", in.Name, in.Description)
		}
	}
	_ = tw.Flush()
}
