package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/scenario"
)

// parseReplyFlag reads "VERB=CODE text" or "VERB /PATH=CODE text" (VERB
// may be "*" or "A,B"; PATH is a glob of the path the command acts on,
// e.g. /data/*.csv); a verb must be in the catalogue or among custom, the
// scenario's custom commands.
func parseReplyFlag(s string, custom []string) (scenario.Rule, error) {
	const want = "want VERB=CODE text or VERB /PATH=CODE text, e.g. 'STOR=452 Insufficient storage space' or 'RETR /data/*.csv=450 File busy', with CODE from 100 to 699"
	lhs, rep, ok := cutReplyFlag(s)
	codeText, text, _ := strings.Cut(rep, " ")
	code, err := strconv.Atoi(codeText)
	if !ok || strings.TrimSpace(lhs) == "" || err != nil || code < 100 || code > 699 {
		return scenario.Rule{}, fmt.Errorf("-reply %q: %s", s, want)
	}
	verbs, glob, _ := strings.Cut(strings.TrimSpace(lhs), " ")
	if glob = strings.TrimSpace(glob); glob != "" && !strings.HasPrefix(glob, "/") && !strings.HasPrefix(glob, "**") {
		return scenario.Rule{}, fmt.Errorf("-reply %q: the path %q is not absolute: %s", s, glob, want)
	}
	var cmds []string
	for _, v := range strings.Split(verbs, ",") {
		v = strings.ToUpper(strings.TrimSpace(v))
		if v != "*" {
			if err := scenario.CheckVerb(v, custom); err != nil {
				return scenario.Rule{}, fmt.Errorf("-reply %q: %w (of the -scenario file)", s, err)
			}
		}
		cmds = append(cmds, v)
	}
	r := scenario.Rule{
		Name:  "-reply " + s,
		When:  scenario.Match{Commands: cmds},
		Steps: []scenario.Step{{Replies: []scenario.Reply{{Code: code, Text: strings.TrimSpace(text)}}}},
	}
	if glob != "" {
		r.When.Path = &scenario.ArgMatch{Glob: glob}
	}
	return r, nil
}

// cutReplyFlag splits a -reply value at the first "=" that a reply code
// follows, so that a path may hold "=": "RETR /a=b.csv=450 busy" is
// "RETR /a=b.csv" and "450 busy".
func cutReplyFlag(s string) (lhs, rep string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		rest := strings.TrimSpace(s[i+1:])
		if len(rest) >= 3 && isDigits(rest[:3]) && (len(rest) == 3 || rest[3] == ' ') {
			return s[:i], rest, true
		}
	}
	lhs, rep, ok = strings.Cut(s, "=")
	return lhs, strings.TrimSpace(rep), ok
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
