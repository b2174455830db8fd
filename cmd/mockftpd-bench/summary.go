package main

import (
	"fmt"
	"strings"
)

// summaryLines are the report's first lines: for each figure a test suite
// feels, mockftpd's value, the baseline's and the limit's, the ratio and
// the target it is held to (the check named), in the order of the issue.
var summaryLines = []struct{ fig, label, check, also string }{
	{"1 KiB STOR per second", "1 KiB STOR, one session", "1 KiB STOR rate", ""},
	{"1 KiB RETR per second", "1 KiB RETR, one session", "1 KiB RETR rate", ""},
	{"200 sessions at once (", "200 sessions at once", "200 sessions at once: rate", "200 sessions at once: errors"},
	{"500 sessions at once (", "500 sessions at once", "500 sessions at once: rate", "500 sessions at once: errors"},
	{"Memory per held idle session", "Memory per held idle session", "Memory per held idle session", ""},
	{"NOOP round trip (", "NOOP round trip", "NOOP round trip", ""},
	{"LIST of 1,000 files", "LIST of 1,000 files", "LIST of 1,000 files", ""},
	{"STOR 256 MiB", "STOR 256 MiB", "STOR 256 MiB vs raw TCP stream", "STOR 256 MiB vs raw TCP into fresh memory (the storing limit)"},
	{"RETR 256 MiB", "RETR 256 MiB", "RETR 256 MiB vs raw TCP stream", ""},
}

// summary returns at most ten lines: one per entry of summaryLines found
// in this run, and the count of targets met.
func (r *runner) summary() []string {
	var out []string
	for _, s := range summaryLines {
		f, ok := r.find(s.fig)
		if !ok {
			continue
		}
		line := fmt.Sprintf("%s: %s %s (baseline %s, limit %s) = %s baseline, %s limit",
			s.label, fmtVal(f.m, f.unit), f.unit, fmtVal(f.b, f.unit), fmtVal(f.l, f.unit), fmtRatio(f.ratio(f.b)), fmtRatio(f.ratio(f.l)))
		for _, kind := range peerKinds {
			// a peer's figure is named after the figure ("NOOP round trip (one
			// at a time)" → "NOOP round trip, vsftpd as the baseline")
			base := strings.TrimSpace(strings.TrimSuffix(s.fig, "("))
			if p, ok := r.find(base + ", " + string(kind)); ok {
				line += fmt.Sprintf(", %s %s %s = %s %s", kind, fmtVal(p.b, p.unit), p.unit, fmtRatio(p.ratio(p.b)), kind)
			}
		}
		for _, c := range r.checks {
			switch c.what {
			case s.check:
				line += fmt.Sprintf("; target %s: %s", c.want, metWord(c.met))
			case s.also:
				line += fmt.Sprintf("; %s: %s (%s: %s)", c.what, c.got, c.want, metWord(c.met))
			}
		}
		out = append(out, line)
	}
	met := 0
	for _, c := range r.checks {
		if c.met {
			met++
		}
	}
	if len(r.checks) > 0 {
		out = append(out, fmt.Sprintf("Targets met in this run: %d of %d (table \"Targets\" below); the analysis explains each one missed.", met, len(r.checks)))
	}
	return out
}

func metWord(met bool) string {
	if met {
		return "met"
	}
	return "**missed**"
}
