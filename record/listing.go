package record

import (
	"strconv"
	"strings"
	"time"
)

// entry is one line of a listing: what a recording learns about the tree.
type entry struct {
	name    string
	dir     bool
	size    int64 // -1 when the line gives none
	modTime time.Time
}

// parseListing reads the entries of a LIST, NLST or MLSD listing. It
// knows the Unix "ls -l" form most servers send, MLSD facts, and NLST's
// bare names; lines it cannot read are skipped ("total 12" among them).
func parseListing(verb string, data []byte) []entry {
	var out []entry
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		var e entry
		var ok bool
		switch verb {
		case "MLSD", "MLST":
			e, ok = parseFacts(line)
		case "NLST":
			e, ok = entry{name: line, size: -1}, true
		default:
			e, ok = parseLsLine(line)
		}
		if !ok {
			continue
		}
		if base := e.name[strings.LastIndexByte(e.name, '/')+1:]; base == "." || base == ".." {
			continue
		}
		out = append(out, e)
	}
	return out
}

// parseFacts reads an MLSD/MLST line: "type=file;size=6;modify=20240102030405; a.txt".
func parseFacts(line string) (entry, bool) {
	facts, name, ok := strings.Cut(strings.TrimLeft(line, " "), " ")
	if !ok || name == "" {
		return entry{}, false
	}
	e := entry{name: name, size: -1}
	for _, f := range strings.Split(facts, ";") {
		k, v, _ := strings.Cut(f, "=")
		switch strings.ToLower(k) {
		case "type":
			switch strings.ToLower(v) {
			case "dir", "cdir", "pdir":
				e.dir = true
			case "file":
			default:
				return entry{}, false // links and other oddities
			}
		case "size":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				e.size = n
			}
		case "modify":
			e.modTime, _ = parseMDTM(v)
		}
	}
	return e, true
}

// parseLsLine reads a Unix listing line:
// "-rw-r--r--    1 0        0               6 Jan 02  2024 a.txt".
func parseLsLine(line string) (entry, bool) {
	if len(line) < 10 || !strings.ContainsRune("-dl", rune(line[0])) {
		return entry{}, false
	}
	// perms links owner group size month day time-or-year name
	rest := line
	var fields [8]string
	for i := range fields {
		rest = strings.TrimLeft(rest, " ")
		j := strings.IndexByte(rest, ' ')
		if j < 0 {
			return entry{}, false
		}
		fields[i], rest = rest[:j], rest[j+1:]
	}
	name := rest
	if i := strings.Index(name, " -> "); line[0] == 'l' && i >= 0 {
		name = name[:i]
	}
	size, err := strconv.ParseInt(fields[4], 10, 64)
	if err != nil || name == "" {
		return entry{}, false
	}
	if line[0] == 'l' {
		return entry{}, false // a link: what it points to is unknown
	}
	return entry{name: name, dir: line[0] == 'd', size: size}, true
}

// parseMDTM reads a time as MDTM and MLSD give it: YYYYMMDDHHMMSS[.sss], UTC.
func parseMDTM(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	t, err := time.Parse("20060102150405", s)
	return t, err == nil
}
