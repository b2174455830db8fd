package realclient

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Normalisation keeps what a client reports stable from run to run: the
// ports the system picks (the server's, the passive data ports, the
// client's own), durations, and the client's temporary directory change
// every run, so they are replaced by placeholders. Ports below 1024 are
// kept: scenarios name them on purpose (e.g. a 229 for port 1).
var (
	hostPort   = regexp.MustCompile(`(127\.0\.0\.1|\[::1\]|localhost):(\d+)`)
	wordPort   = regexp.MustCompile(`\b(port) (\d+)`)
	epsvPort   = regexp.MustCompile(`\(\|\|\|(\d+)\|\)`)
	eprtArg    = regexp.MustCompile(`\|([12])\|([0-9a-fA-F.:]+)\|(\d+)\|`)
	pasvTuple  = regexp.MustCompile(`\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)`)
	durationMS = regexp.MustCompile(`\bafter \d+ (ms|milliseconds)\b`)
	staleErrno = regexp.MustCompile(`\(errno: \d+\)`)
)

// PortPlaceholder stands for a port the system picked.
const PortPlaceholder = "{port}"

func ephemeral(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1024
}

// Normalize replaces what changes from run to run in a client's message:
// ports of 1024 and above (in "127.0.0.1:PORT", "port PORT", EPSV's
// "(|||PORT|)", EPRT's "|1|ADDR|PORT|" and PASV's "(h1,h2,h3,h4,p1,p2)") become {port}, durations
// measured by the client ("after 12 ms") N, as does the errno curl
// prints after "response reading failed" (a leftover of an earlier
// call: EAGAIN or EINPROGRESS, from run to run), and dir (the client's working
// directory) becomes {dir}. Trailing spaces go.
func Normalize(s, dir string) string {
	if dir != "" {
		s = strings.ReplaceAll(s, dir, "{dir}")
	}
	s = hostPort.ReplaceAllStringFunc(s, func(m string) string {
		sub := hostPort.FindStringSubmatch(m)
		if !ephemeral(sub[2]) {
			return m
		}
		return sub[1] + ":" + PortPlaceholder
	})
	s = wordPort.ReplaceAllStringFunc(s, func(m string) string {
		sub := wordPort.FindStringSubmatch(m)
		if !ephemeral(sub[2]) {
			return m
		}
		return sub[1] + " " + PortPlaceholder
	})
	s = epsvPort.ReplaceAllStringFunc(s, func(m string) string {
		if !ephemeral(epsvPort.FindStringSubmatch(m)[1]) {
			return m
		}
		return "(|||" + PortPlaceholder + "|)"
	})
	s = eprtArg.ReplaceAllStringFunc(s, func(m string) string {
		sub := eprtArg.FindStringSubmatch(m)
		if !ephemeral(sub[3]) {
			return m
		}
		return "|" + sub[1] + "|" + sub[2] + "|" + PortPlaceholder + "|"
	})
	s = pasvTuple.ReplaceAllStringFunc(s, func(m string) string {
		sub := pasvTuple.FindStringSubmatch(m)
		hi, _ := strconv.Atoi(sub[5])
		lo, _ := strconv.Atoi(sub[6])
		if hi<<8|lo < 1024 {
			return m
		}
		return fmt.Sprintf("(%s,%s,%s,%s,%s)", sub[1], sub[2], sub[3], sub[4], PortPlaceholder)
	})
	s = durationMS.ReplaceAllString(s, "after N $1")
	s = staleErrno.ReplaceAllString(s, "(errno: N)")
	return strings.TrimRight(s, " \t\r\n")
}
