package scenario

import (
	"slices"
	"strconv"
	"strings"
)

// Verb is one FTP command of mockftpd's catalogue: every command of RFC 959,
// 2228, 2389, 2428, 2640, 3659 and 7151, the experimental X forms of RFC 775,
// RFC 1639 and the extensions clients commonly send. Rules, expectations,
// settings.disable and -reply may name these; any other verb must be listed
// in settings.custom_commands.
type Verb struct {
	Name    string // upper case, e.g. "STOR"
	Spec    string // where it is defined, e.g. "RFC 959" or "draft-somers-ftp-mfxx"
	Summary string // what it does, in a few words
	// Transfer is true for the commands that open a data connection: the
	// server answers them with a preliminary (1xx) reply, then a final one.
	Transfer bool
	// Upload is true for the transfer commands that store a file.
	Upload bool
	// Passive is true for the commands whose reply advertises a passive data
	// address (227 to PASV, 229 to EPSV).
	Passive bool
}

// verbs is the catalogue, by name.
var verbs = catalogue()

func catalogue() map[string]Verb {
	out := map[string]Verb{}
	for _, group := range []struct {
		spec  string
		verbs []Verb
	}{
		{"RFC 959", []Verb{
			{Name: "USER", Summary: "user name"},
			{Name: "PASS", Summary: "password"},
			{Name: "ACCT", Summary: "account"},
			{Name: "CWD", Summary: "change working directory"},
			{Name: "CDUP", Summary: "change to parent directory"},
			{Name: "SMNT", Summary: "structure mount"},
			{Name: "REIN", Summary: "reinitialize"},
			{Name: "QUIT", Summary: "logout"},
			{Name: "PORT", Summary: "data port (active mode)"},
			{Name: "PASV", Summary: "passive mode", Passive: true},
			{Name: "TYPE", Summary: "representation type"},
			{Name: "STRU", Summary: "file structure"},
			{Name: "MODE", Summary: "transfer mode"},
			{Name: "RETR", Summary: "retrieve (download) a file", Transfer: true},
			{Name: "STOR", Summary: "store (upload) a file", Transfer: true, Upload: true},
			{Name: "STOU", Summary: "store under a unique name", Transfer: true, Upload: true},
			{Name: "APPE", Summary: "append to a file", Transfer: true, Upload: true},
			{Name: "ALLO", Summary: "allocate storage"},
			{Name: "REST", Summary: "restart a transfer at an offset"},
			{Name: "RNFR", Summary: "rename from"},
			{Name: "RNTO", Summary: "rename to"},
			{Name: "ABOR", Summary: "abort a transfer"},
			{Name: "DELE", Summary: "delete a file"},
			{Name: "RMD", Summary: "remove a directory"},
			{Name: "MKD", Summary: "make a directory"},
			{Name: "PWD", Summary: "print working directory"},
			{Name: "LIST", Summary: "list a directory", Transfer: true},
			{Name: "NLST", Summary: "list names", Transfer: true},
			{Name: "SITE", Summary: "site-specific commands (SITE CHMOD, ...)"},
			{Name: "SYST", Summary: "system type"},
			{Name: "STAT", Summary: "status"},
			{Name: "HELP", Summary: "help"},
			{Name: "NOOP", Summary: "no operation"},
		}},
		{"RFC 2228", []Verb{
			{Name: "AUTH", Summary: "authentication (AUTH TLS)"},
			{Name: "ADAT", Summary: "authentication data"},
			{Name: "PROT", Summary: "data channel protection level"},
			{Name: "PBSZ", Summary: "protection buffer size"},
			{Name: "CCC", Summary: "clear command channel"},
			{Name: "MIC", Summary: "integrity protected command"},
			{Name: "CONF", Summary: "confidentiality protected command"},
			{Name: "ENC", Summary: "privacy protected command"},
		}},
		{"RFC 2389", []Verb{
			{Name: "FEAT", Summary: "list features"},
			{Name: "OPTS", Summary: "options"},
		}},
		{"RFC 2428", []Verb{
			{Name: "EPRT", Summary: "extended data port (active mode)"},
			{Name: "EPSV", Summary: "extended passive mode", Passive: true},
		}},
		{"RFC 2640", []Verb{{Name: "LANG", Summary: "language"}}},
		{"RFC 3659", []Verb{
			{Name: "MDTM", Summary: "modification time"},
			{Name: "SIZE", Summary: "file size"},
			{Name: "MLST", Summary: "machine listing of one entry"},
			{Name: "MLSD", Summary: "machine listing of a directory", Transfer: true},
		}},
		{"RFC 7151", []Verb{{Name: "HOST", Summary: "virtual host"}}},
		{"RFC 775", []Verb{
			{Name: "XCWD", Summary: "CWD (experimental name)"},
			{Name: "XCUP", Summary: "CDUP (experimental name)"},
			{Name: "XMKD", Summary: "MKD (experimental name)"},
			{Name: "XRMD", Summary: "RMD (experimental name)"},
			{Name: "XPWD", Summary: "PWD (experimental name)"},
		}},
		{"RFC 1639", []Verb{
			{Name: "LPRT", Summary: "long data port"},
			{Name: "LPSV", Summary: "long passive mode"},
		}},
		{"draft-somers-ftp-mfxx", []Verb{
			{Name: "MFMT", Summary: "set modification time"},
			{Name: "MFCT", Summary: "set creation time"},
			{Name: "MFF", Summary: "set facts"},
		}},
		{"draft-bryan-ftpext-hash", []Verb{{Name: "HASH", Summary: "file hash"}}},
		{"draft-peterson-streamlined-ftp-command-extensions", []Verb{
			{Name: "AVBL", Summary: "available space"},
			{Name: "CSID", Summary: "client/server identification"},
			{Name: "DSIZ", Summary: "directory size"},
			{Name: "RMDA", Summary: "remove a directory tree"},
			{Name: "THMB", Summary: "thumbnail of an image"},
		}},
		{"draft-twine-ftpmd5", []Verb{
			{Name: "MD5", Summary: "MD5 of a file"},
			{Name: "MMD5", Summary: "MD5 of several files"},
		}},
		{"common extension", []Verb{
			{Name: "CLNT", Summary: "client name"},
			{Name: "COMB", Summary: "combine uploaded parts"},
			{Name: "XCRC", Summary: "CRC32 of a file"},
			{Name: "XMD5", Summary: "MD5 of a file"},
			{Name: "XSHA1", Summary: "SHA-1 of a file"},
			{Name: "XSHA256", Summary: "SHA-256 of a file"},
			{Name: "XSHA512", Summary: "SHA-512 of a file"},
			{Name: "SPSV", Summary: "single-port passive mode"},
			{Name: "ESTA", Summary: "established address"},
			{Name: "ESTP", Summary: "established port"},
		}},
	} {
		for _, v := range group.verbs {
			v.Spec = group.spec
			out[v.Name] = v
		}
	}
	return out
}

// LookupVerb returns the catalogue's entry for name (in any case).
func LookupVerb(name string) (Verb, bool) {
	v, ok := verbs[strings.ToUpper(name)]
	return v, ok
}

// Verbs returns the catalogue, sorted by name.
func Verbs() []Verb {
	out := make([]Verb, 0, len(verbs))
	for _, v := range verbs {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Verb) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// verbNames lists the catalogue's verbs (for suggestions) and custom ones.
func verbNames(custom []string) []string {
	out := make([]string, 0, len(verbs)+len(custom))
	for n := range verbs {
		out = append(out, n)
	}
	slices.Sort(out)
	return append(out, custom...)
}

// validVerb reports whether s is shaped like a verb: letters and digits.
func validVerb(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// CheckVerb says what is wrong with naming verb (in any case) in a rule, an
// expectation or -reply, given the scenario's custom commands: nil for a
// verb of the catalogue or one of custom.
func CheckVerb(verb string, custom []string) error {
	v := strings.ToUpper(strings.TrimSpace(verb))
	switch {
	case !validVerb(v):
		return &Error{Msg: "invalid command " + strconv.Quote(v) + ": a command is a word like STOR"}
	case verbs[v].Name != "":
		return nil
	}
	for _, c := range custom {
		if strings.EqualFold(c, v) {
			return nil
		}
	}
	return &Error{Msg: "unknown command " + strconv.Quote(v) + didYouMean(v, verbNames(custom)) +
		": to name a command outside mockftpd's catalogue on purpose, list it in settings.custom_commands"}
}
