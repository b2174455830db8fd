package scenario

import (
	"path"
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
	// Path says how the command names the path it acts on (NoPath for
	// none); CommandPath resolves it.
	Path PathForm
}

// PathForm says how a command names the path it acts on: the knowledge
// behind a rule's "path" condition, the journal's Entry.Path and the
// recorder's path-keyed rules.
type PathForm int

// How commands name their paths.
const (
	// NoPath: the command acts on no path (NOOP, TYPE, PASV...).
	NoPath PathForm = iota
	// PathArg: the argument is the path (RETR, STOR, CWD, SIZE...); with
	// none, the working directory.
	PathArg
	// PathOptionalArg: the argument is the path; with none, the command
	// acts on no path (STAT alone is the server's status).
	PathOptionalArg
	// PathListing: the argument is the directory (or file) listed, after
	// options such as "-la"; with none, the working directory (LIST, NLST,
	// MLSD).
	PathListing
	// PathParent: the working directory's parent (CDUP, XCUP).
	PathParent
	// PathWorkingDir: the working directory, where the command makes its
	// file (STOU).
	PathWorkingDir
	// PathSecondWord: the path follows a first word, a time or facts
	// (MFMT 20240101120000 /a.txt).
	PathSecondWord
	// PathSite: per SITE sub-command: CHMOD, CHOWN and CHGRP name the path
	// after a mode or owner (SITE CHMOD 644 /a.txt), MKDIR and RMDIR name it
	// alone; others act on no path.
	PathSite
)

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
			{Name: "CWD", Summary: "change working directory", Path: PathArg},
			{Name: "CDUP", Summary: "change to parent directory", Path: PathParent},
			{Name: "SMNT", Summary: "structure mount", Path: PathArg},
			{Name: "REIN", Summary: "reinitialize"},
			{Name: "QUIT", Summary: "logout"},
			{Name: "PORT", Summary: "data port (active mode)"},
			{Name: "PASV", Summary: "passive mode", Passive: true},
			{Name: "TYPE", Summary: "representation type"},
			{Name: "STRU", Summary: "file structure"},
			{Name: "MODE", Summary: "transfer mode"},
			{Name: "RETR", Summary: "retrieve (download) a file", Transfer: true, Path: PathArg},
			{Name: "STOR", Summary: "store (upload) a file", Transfer: true, Upload: true, Path: PathArg},
			{Name: "STOU", Summary: "store under a unique name", Transfer: true, Upload: true, Path: PathWorkingDir},
			{Name: "APPE", Summary: "append to a file", Transfer: true, Upload: true, Path: PathArg},
			{Name: "ALLO", Summary: "allocate storage"},
			{Name: "REST", Summary: "restart a transfer at an offset"},
			{Name: "RNFR", Summary: "rename from", Path: PathArg},
			{Name: "RNTO", Summary: "rename to", Path: PathArg},
			{Name: "ABOR", Summary: "abort a transfer"},
			{Name: "DELE", Summary: "delete a file", Path: PathArg},
			{Name: "RMD", Summary: "remove a directory", Path: PathArg},
			{Name: "MKD", Summary: "make a directory", Path: PathArg},
			{Name: "PWD", Summary: "print working directory"},
			{Name: "LIST", Summary: "list a directory", Transfer: true, Path: PathListing},
			{Name: "NLST", Summary: "list names", Transfer: true, Path: PathListing},
			{Name: "SITE", Summary: "site-specific commands (SITE CHMOD, ...)", Path: PathSite},
			{Name: "SYST", Summary: "system type"},
			{Name: "STAT", Summary: "status", Path: PathOptionalArg},
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
			{Name: "MDTM", Summary: "modification time", Path: PathArg},
			{Name: "SIZE", Summary: "file size", Path: PathArg},
			{Name: "MLST", Summary: "machine listing of one entry", Path: PathArg},
			{Name: "MLSD", Summary: "machine listing of a directory", Transfer: true, Path: PathListing},
		}},
		{"RFC 7151", []Verb{{Name: "HOST", Summary: "virtual host"}}},
		{"RFC 775", []Verb{
			{Name: "XCWD", Summary: "CWD (experimental name)", Path: PathArg},
			{Name: "XCUP", Summary: "CDUP (experimental name)", Path: PathParent},
			{Name: "XMKD", Summary: "MKD (experimental name)", Path: PathArg},
			{Name: "XRMD", Summary: "RMD (experimental name)", Path: PathArg},
			{Name: "XPWD", Summary: "PWD (experimental name)"},
		}},
		{"RFC 1639", []Verb{
			{Name: "LPRT", Summary: "long data port"},
			{Name: "LPSV", Summary: "long passive mode"},
		}},
		{"draft-somers-ftp-mfxx", []Verb{
			{Name: "MFMT", Summary: "set modification time", Path: PathSecondWord},
			{Name: "MFCT", Summary: "set creation time", Path: PathSecondWord},
			{Name: "MFF", Summary: "set facts", Path: PathSecondWord},
		}},
		{"draft-bryan-ftpext-hash", []Verb{{Name: "HASH", Summary: "file hash", Path: PathArg}}},
		{"draft-peterson-streamlined-ftp-command-extensions", []Verb{
			{Name: "AVBL", Summary: "available space", Path: PathArg},
			{Name: "CSID", Summary: "client/server identification"},
			{Name: "DSIZ", Summary: "directory size", Path: PathArg},
			{Name: "RMDA", Summary: "remove a directory tree", Path: PathArg},
			{Name: "THMB", Summary: "thumbnail of an image", Path: PathArg},
		}},
		{"draft-twine-ftpmd5", []Verb{
			{Name: "MD5", Summary: "MD5 of a file", Path: PathArg},
			{Name: "MMD5", Summary: "MD5 of several files"},
		}},
		{"common extension", []Verb{
			{Name: "CLNT", Summary: "client name"},
			{Name: "COMB", Summary: "combine uploaded parts"},
			{Name: "XCRC", Summary: "CRC32 of a file", Path: PathArg},
			{Name: "XMD5", Summary: "MD5 of a file", Path: PathArg},
			{Name: "XSHA1", Summary: "SHA-1 of a file", Path: PathArg},
			{Name: "XSHA256", Summary: "SHA-256 of a file", Path: PathArg},
			{Name: "XSHA512", Summary: "SHA-512 of a file", Path: PathArg},
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

// CommandPath returns the absolute, clean path a command acts on, from
// its verb, its argument as sent and the session's working directory (an
// absolute path; "" is the root), as an FTP server resolves it: a
// relative path joins the working directory, "." and ".." are resolved,
// LIST's options (-la) come off, CDUP acts on the parent. It returns
// false for a command that acts on no path (see PathForm). This is the
// path a rule's "path" condition matches and the journal records.
func CommandPath(verb, arg, cwd string) (string, bool) {
	v, ok := verbs[upper(verb)]
	if !ok {
		return "", false
	}
	return v.Path.resolve(arg, cwd)
}

// TakesPath reports whether verb acts on a path (with some argument).
func TakesPath(verb string) bool {
	v, ok := verbs[upper(verb)]
	return ok && v.Path != NoPath
}

func (f PathForm) resolve(arg, cwd string) (string, bool) {
	switch f {
	case PathArg:
	case PathOptionalArg:
		if arg == "" {
			return "", false
		}
	case PathListing:
		arg = listingPath(arg)
	case PathParent:
		return path.Dir(resolvePath(cwd, "")), true
	case PathWorkingDir:
		arg = ""
	case PathSecondWord:
		_, arg, _ = strings.Cut(arg, " ")
		if arg = strings.TrimLeft(arg, " "); arg == "" {
			return "", false
		}
	case PathSite:
		sub, rest, _ := strings.Cut(arg, " ")
		rest = strings.TrimLeft(rest, " ")
		switch strings.ToUpper(sub) {
		case "CHMOD", "CHOWN", "CHGRP":
			_, rest, _ = strings.Cut(rest, " ")
			rest = strings.TrimLeft(rest, " ")
		case "MKDIR", "RMDIR":
		default:
			return "", false
		}
		if rest == "" {
			return "", false
		}
		arg = rest
	default:
		return "", false
	}
	return resolvePath(cwd, arg), true
}

// listingPath is the path part of a listing command's argument: leading
// options ("-la", "-a -l") come off.
func listingPath(arg string) string {
	for strings.HasPrefix(arg, "-") {
		_, arg, _ = strings.Cut(arg, " ")
		arg = strings.TrimLeft(arg, " ")
	}
	return arg
}

// resolvePath resolves p against the directory cwd. An absolute, clean p
// is returned as it is (no allocation: the common case).
func resolvePath(cwd, p string) string {
	if !strings.HasPrefix(p, "/") {
		if cwd == "" {
			cwd = "/"
		}
		p = cwd + "/" + p
	}
	return path.Clean(p)
}
