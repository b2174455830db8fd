package dialect

import (
	"io/fs"
	"strings"
	"time"
)

// Aspect is one thing a dialect does, for people: `mockftpd dialects show`
// prints them, and docs/dialects.md sets them side by side.
type Aspect struct {
	Name  string // e.g. "CWD to a missing folder"
	Value string // the reply or behaviour; "" when mockftpd answers as itself
}

// SampleNow and SampleEntries are the folder Aspects lists, at a fixed
// time so that the samples do not change.
var (
	SampleNow     = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	SampleEntries = []Entry{
		{Name: "reports", Mode: fs.ModeDir | 0o755, Size: 4096, ModTime: time.Date(2024, 5, 2, 14, 30, 0, 0, time.UTC)},
		{Name: "data 2023.csv", Size: 1234, Mode: 0o644, ModTime: time.Date(2023, 11, 24, 9, 5, 0, 0, time.UTC)},
	}
)

// aspectKeys are the replies Aspects shows, with their names.
var aspectKeys = []struct{ name, verb, outcome string }{
	{"USER", "USER", OK},
	{"PASS (logged in)", "PASS", OK},
	{"PASS (wrong password)", "PASS", BadLogin},
	{"a command before login", "PWD", NotLoggedIn},
	{"SYST", "SYST", OK},
	{"PWD", "PWD", OK},
	{"CWD", "CWD", OK},
	{"CWD to a missing folder", "CWD", NotFound},
	{"CWD to a file", "CWD", NotDir},
	{"TYPE I", "TYPE", "I"},
	{"SIZE", "SIZE", OK},
	{"SIZE of a folder", "SIZE", IsDir},
	{"SIZE in ASCII mode", "SIZE", InASCII},
	{"REST in ASCII mode", "REST", InASCII},
	{"PASV", "PASV", OK},
	{"EPSV", "EPSV", OK},
	{"RETR: 1xx", "RETR", Start},
	{"RETR: 1xx, data connection already open", "RETR", AlreadyOpen},
	{"RETR: 1xx in active mode", "RETR", ActiveStart},
	{"RETR: done", "RETR", OK},
	{"RETR of a missing file", "RETR", NotFound},
	{"RETR without permission", "RETR", Permission},
	{"STOR: 1xx", "STOR", Start},
	{"APPE", "APPE", Refused},
	{"LIST: 1xx", "LIST", Start},
	{"LIST: done", "LIST", OK},
	{"LIST of a missing path", "LIST", NotFound},
	{"NLST of a missing path", "NLST", NotFound},
	{"MKD", "MKD", OK},
	{"MKD of an existing folder", "MKD", Exists},
	{"RMD of a folder not empty", "RMD", NotEmpty},
	{"DELE of a missing file", "DELE", NotFound},
	{"RNTO without RNFR", "RNTO", BadSequence},
	{"ABOR with no transfer", "ABOR", Idle},
	{"OPTS UTF8 ON", "OPTS", "UTF8"},
	{"AUTH TLS", "AUTH", "TLS"},
	{"AUTH SSL", "AUTH", "SSL"},
	{"PROT P", "PROT", "P"},
	{"CCC", "CCC", TLSOn},
	{"a PROT P data connection without TLS session reuse", "LIST", NoReuse},
}

// AspectKey returns the reply key an aspect of Aspects shows, or "".
func AspectKey(name string) Key {
	for _, k := range aspectKeys {
		if k.name == name {
			return K(k.verb, k.outcome)
		}
	}
	return ""
}

// Aspects lists what the dialect does, in a fixed order, with sample
// values for its variables (a path "x", user "bob", the sample folder).
func (d *Dialect) Aspects() []Aspect {
	vars := Vars{"arg": "x", "path": "/pub/x", "cwd": "/pub", "verb": "XFOO", "line": "XFOO", "user": "bob", "size": "1234",
		"remaining": "1234", "offset": "100", "mtime": "20231124090500", "type": "BINARY", "type-long": "8-bit binary",
		"pasv": "127,0,0,1,117,48", "epsv": "30000", "client-port": "40000", "client": "127.0.0.1", "server": "127.0.0.1", "port": "21",
		"users": "1", "time": "12:00", "count": "2", "options": "-l ", "seconds": "0.001", "rate": "1.23 Kbytes"}
	out := []Aspect{
		{"Greeting", show(d.Greeting.Expand(vars).Expand(d.Defaults))},
		{"FEAT", d.featSummary()},
		{"Unknown command", show(d.Unknown.Expand(vars))},
		{"Not implemented", strings.Join(d.Missing, " ")},
	}
	for _, k := range aspectKeys {
		v := ""
		switch {
		case !d.Knows(k.verb):
			v = "(not implemented)"
		default:
			vars["strerror"] = StrError(k.outcome)
			if r, ok := d.Reply(k.verb, k.outcome, vars); ok {
				v = show(r)
				if d.After(k.verb, k.outcome) {
					v = "after the 1xx and an empty listing: " + v
				}
			} else if r, ok := d.Reply(k.verb, OK, vars); ok && k.outcome == InASCII {
				v = show(r) + " (as in TYPE I)"
				if k.verb == "SIZE" && d.ASCII.SizeConverted {
					v = show(r) + " (the size once LF is sent as CRLF)"
				}
			}
		}
		out = append(out, Aspect{k.name, v})
	}
	o := ListOptions{User: "bob", Group: "bob"}
	out = append(out,
		Aspect{"LIST lines", show(Reply(strings.TrimSuffix(string(d.LIST(SampleEntries, SampleNow, o)), "\r\n")))},
		Aspect{"LIST: hidden names, . and ..", d.hiddenSummary()},
		Aspect{"NLST lines", show(Reply(strings.TrimSuffix(string(d.NLST(SampleEntries, o)), "\r\n")))},
		Aspect{"MLSD facts", d.factsSummary()},
		Aspect{"ASCII mode", d.asciiSummary()},
		Aspect{"FTPS", d.tlsSummary()},
	)
	return out
}

// show writes a reply's lines separated by " / ".
func show(r Reply) string {
	return strings.ReplaceAll(strings.ReplaceAll(string(r), "\r\n", "\n"), "\n", " / ")
}

func (d *Dialect) featSummary() string {
	if d.Feat.Header == "" {
		return "(not implemented)"
	}
	s := d.Feat.Header + " " + strings.Join(d.Feat.Features, ", ") + " " + d.Feat.Footer
	if len(d.Feat.WithTLS) > 0 {
		s += "; with FTPS: " + strings.Join(d.Feat.WithTLS, ", ")
	}
	return s
}

func (d *Dialect) hiddenSummary() string {
	l := &d.Listing
	var parts []string
	if l.ShowHidden {
		parts = append(parts, "hidden names always listed")
	} else {
		parts = append(parts, "hidden names with LIST -a")
	}
	switch {
	case l.DotDirsAlways:
		parts = append(parts, ". and .. always listed")
	case l.DotDirs:
		parts = append(parts, ". and .. with LIST -a")
	}
	if l.Total {
		parts = append(parts, "a \"total\" line first")
	}
	if l.NLSTAll {
		parts = append(parts, "NLST lists hidden names, . and ..")
	}
	return strings.Join(parts, "; ")
}

func (d *Dialect) factsSummary() string {
	if len(d.Listing.Facts) == 0 || !d.Knows("MLSD") {
		return "(no MLSD)"
	}
	line := d.MLST(SampleEntries[1], SampleEntries[1].Name, ListOptions{User: "bob", Group: "bob"})
	if d.Listing.MLSDDotDirs {
		line += " (and . as type=cdir, .. as type=pdir)"
	}
	return line
}

func (d *Dialect) asciiSummary() string {
	a := d.ASCII
	parts := []string{"LF sent as is"}
	if a.Convert {
		parts[0] = "LF sent as CRLF"
	}
	switch {
	case a.SizeRefused:
		parts = append(parts, "SIZE refused")
	case a.SizeConverted:
		parts = append(parts, "SIZE counts the converted bytes")
	default:
		parts = append(parts, "SIZE gives the stored size")
	}
	if a.RestRefused {
		parts = append(parts, "REST refused")
	}
	return strings.Join(parts, "; ")
}

func (d *Dialect) tlsSummary() string {
	if !d.Knows("AUTH") {
		return "(no FTPS)"
	}
	t := d.TLS
	var parts []string
	if t.RequireReuse {
		s := "data connections must resume the control connection's TLS session"
		if t.CloseAfterNoReuse {
			s += ", else the session ends"
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "no TLS session reuse check")
	}
	if t.RequirePROTP {
		parts = append(parts, "PROT P required")
	}
	if t.SSLIsPROTP {
		parts = append(parts, "AUTH SSL protects data connections without PROT P")
	}
	return strings.Join(parts, "; ")
}
