package dialect

import (
	"fmt"
	"strings"
)

// ProFTPD is ProFTPD 1.3.8 as Debian ships it (proftpd-basic), with its
// default configuration.
//
// Sources: testdata/real/proftpd.txt and proftpd-tls.txt (what Debian's
// ProFTPD 1.3.8 answered to the probe, internal/dialectprobe); its
// documentation for what the defaults mean (mod_ls, mod_tls
// TLSOptions NoSessionReuseRequired, AllowStoreRestart).
var ProFTPD = register(&Dialect{
	Name:    "proftpd",
	Product: "ProFTPD 1.3.8",
	Summary: "\"550 path: strerror\" errors; SIZE and REST refused in ASCII mode, which converts; MLSD with perm and UNIX.* facts, \".\" and \"..\"; APPE refused by default; FTPS data connections must resume the TLS session (425)",
	Sources: []Source{
		{"every reply, FEAT, HELP, STAT, listings, FTPS", "testdata/real/proftpd.txt, testdata/real/proftpd-tls.txt (Debian ProFTPD 1.3.8, captured by go test ./dialect -run TestCapture -capture)"},
		{"the greeting's server name (ServerName \"Debian\" in Debian's proftpd.conf)", "Debian proftpd-basic /etc/proftpd/proftpd.conf"},
		{"LIST columns; a time, not a year, for entries less than 180 days old (also in the future)", "testdata/real/proftpd.txt; pyftpdlib's format_mtime_list, written to match ProFTPD (pyftpdlib issue 187)"},
		{"APPE refused (AllowStoreRestart off), session reuse required on data connections (TLSOptions NoSessionReuseRequired off)", "ProFTPD documentation: mod_xfer AllowStoreRestart, mod_tls TLSOptions; testdata/real/proftpd.txt and proftpd-tls.txt"},
	},
	Greeting: "220 ProFTPD Server ({servername}) [{server}]",
	Defaults: Vars{"servername": "Debian"},
	Feat: Feat{
		Header: "211-Features:",
		Indent: " ",
		Footer: "211 End",
		Features: []string{"CLNT", "CSID", "EPRT", "EPSV", "HOST", "LANG C.UTF-8*", "MDTM", "MFF modify;UNIX.group;UNIX.mode;", "MFMT",
			"MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;",
			"RANG STREAM", "REST STREAM", "SIZE", "TVFS", "UTF8"},
		WithTLS: []string{"AUTH TLS", "CCC", "CLNT", "CSID", "EPRT", "EPSV", "HOST", "LANG C.UTF-8*", "MDTM", "MFF modify;UNIX.group;UNIX.mode;", "MFMT",
			"MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;",
			"PBSZ", "PROT", "RANG STREAM", "REST STREAM", "SIZE", "SSCN", "TVFS", "UTF8"},
	},
	Unknown: "500 {verb} not understood",
	Replies: map[Key]Reply{
		"* not-logged-in":    "530 Please login with USER and PASS",
		"USER ok":            "331 Password required for {arg}",
		"PASS ok":            "230 User {user} logged in",
		"PASS bad-login":     "530 Login incorrect.",
		"PASS bad-sequence":  "503 Login with USER first",
		"QUIT ok":            "221 Goodbye.",
		"SYST ok":            "215 UNIX Type: L8",
		"SYST not-logged-in": "215 UNIX Type: L8",
		"HELP ok": "214-The following commands are recognized (* =>'s unimplemented):\n" +
			" CWD     XCWD    CDUP    XCUP    SMNT*   QUIT    PORT    PASV    \n" +
			" EPRT    EPSV    ALLO    RNFR    RNTO    DELE    MDTM    RMD     \n" +
			" XRMD    MKD     XMKD    PWD     XPWD    SIZE    SYST    HELP    \n" +
			" NOOP    FEAT    OPTS    HOST    CLNT    AUTH*   CCC*    CONF*   \n" +
			" ENC*    MIC*    PBSZ*   PROT*   TYPE    STRU    MODE    RETR    \n" +
			" STOR    STOU    APPE    REST    ABOR    RANG    USER    PASS    \n" +
			" ACCT*   REIN*   LIST    NLST    STAT    SITE    MLSD    MLST    \n" +
			"214 Direct comments to root@{server}",
		"STAT ok": "211-Status of '{servername}'\n" +
			" Connected from {client} ({client})\n" +
			" Logged in as {user}\n" +
			" TYPE: {type}, STRUcture: File, Mode: Stream\n" +
			" No data connection\n" +
			"211 End of status",
		"STAT file":         "213-Status of {arg}:\n{listing}\n213 End of status",
		"STAT dir":          "212-Status of {arg}:\n{listing}\n212 End of status",
		"NOOP ok":           "200 NOOP command successful",
		"PWD ok":            `257 "{cwd}" is the current directory`,
		"CWD ok":            "250 CWD command successful",
		"CWD error":         "550 {arg}: {strerror}",
		"CDUP ok":           "250 CDUP command successful",
		"TYPE A":            "200 Type set to A",
		"TYPE I":            "200 Type set to I",
		"TYPE bad-arg":      "504 TYPE not implemented for '{arg}' parameter",
		"MODE ok":           "200 Mode set to S",
		"MODE bad-arg":      "504 'MODE {arg}' unsupported transfer mode",
		"STRU ok":           "200 Structure set to F",
		"STRU bad-arg":      "504 'STRU {arg}' unsupported structure type",
		"SIZE ok":           "213 {size}",
		"SIZE error":        "550 {arg}: {strerror}",
		"SIZE is-dir":       "550 {arg}: not a regular file",
		"SIZE ascii":        "550 SIZE not allowed in ASCII mode",
		"MDTM ok":           "213 {mtime}",
		"MDTM error":        "550 {arg}: {strerror}",
		"REST ok":           "350 Restarting at {offset}. Send STORE or RETRIEVE to initiate transfer",
		"REST bad-arg":      "501 REST requires a value greater than or equal to 0",
		"REST ascii":        "501 REST: Resuming transfers not allowed in ASCII mode",
		"RETR start":        "150 Opening {type} mode data connection for {arg} ({remaining} bytes)",
		"RETR ok":           "226 Transfer complete",
		"RETR error":        "550 {arg}: {strerror}",
		"RETR is-dir":       "550 {arg}: Not a regular file",
		"STOR start":        "150 Opening {type} mode data connection for {arg}",
		"STOR ok":           "226 Transfer complete",
		"STOR error":        "550 {arg}: {strerror}",
		"APPE refused":      "451 {arg}: Append/Restart not permitted, try again",
		"LIST start":        "150 Opening {type} mode data connection for file list",
		"LIST ok":           "226 Transfer complete",
		"LIST error":        "450 {arg}: {strerror}",
		"NLST start":        "150 Opening {type} mode data connection for file list",
		"NLST ok":           "226 Transfer complete",
		"NLST error":        "450 {arg}: {strerror}",
		"MLSD start":        "150 Opening {type} mode data connection for MLSD",
		"MLSD ok":           "226 Transfer complete",
		"MLSD error":        "550 {arg}: {strerror}",
		"MLST ok":           "250-Start of list for {arg}\n {facts}\n250 End of list",
		"MLST error":        "550 '{arg}' cannot be listed",
		"MKD ok":            `257 "{path}" - Directory successfully created`,
		"MKD error":         "550 {arg}: {strerror}",
		"RMD ok":            "250 RMD command successful",
		"RMD error":         "550 {arg}: {strerror}",
		"DELE ok":           "250 DELE command successful",
		"DELE error":        "550 {arg}: {strerror}",
		"RNFR ok":           "350 File or directory exists, ready for destination name",
		"RNFR error":        "550 {arg}: {strerror}",
		"RNTO ok":           "250 Rename successful",
		"RNTO error":        "550 {arg}: {strerror}",
		"RNTO bad-sequence": "503 Bad sequence of commands",
		"SITE CHMOD":        "200 SITE CHMOD command successful",
		"SITE HELP": "214-The following SITE commands are recognized (* =>'s unimplemented)\n" +
			" HELP\n CHGRP\n CHMOD\n" +
			"214 Direct comments to root@{server}",
		"SITE unknown":     "500 'SITE {site-arg}' not understood",
		"OPTS UTF8":        "200 UTF8 set to on",
		"OPTS MLST":        "200 MLST OPTS {site-arg}",
		"PASV ok":          "227 Entering Passive Mode ({pasv}).",
		"EPSV ok":          "229 Entering Extended Passive Mode (|||{epsv}|)",
		"PORT ok":          "200 PORT command successful",
		"EPRT ok":          "200 EPRT command successful",
		"ABOR idle":        "226 Abort successful",
		"PBSZ plain":       "500 PBSZ not understood",
		"PROT plain":       "500 PROT not understood",
		"CCC plain":        "500 CCC not understood",
		"AUTH plain":       "500 AUTH not understood",
		"AUTH TLS":         "234 AUTH TLS successful",
		"AUTH SSL":         "234 AUTH SSL successful",
		"PBSZ ok":          "200 PBSZ 0 successful",
		"PROT P":           "200 Protection set to Private",
		"PROT C":           "200 Protection set to Clear",
		"PROT bad-arg":     "504 PROT {arg} unsupported",
		"PROT before-pbsz": "200 Protection set to Private",
		"CCC tls":          "200 Clearing control channel protection",
		"RETR no-reuse":    "425 Unable to build data connection: Operation not permitted",
		"STOR no-reuse":    "425 Unable to build data connection: Operation not permitted",
		"LIST no-reuse":    "425 Unable to build data connection: Operation not permitted",
		"NLST no-reuse":    "425 Unable to build data connection: Operation not permitted",
		"MLSD no-reuse":    "425 Unable to build data connection: Operation not permitted",
	},
	AfterStart: []Key{"LIST error"},
	Listing: Listing{
		Format:       unixFormat(unixLine{links: "%3d", owner: "%-8s", group: "%-8s", size: "%8d", day: "_2", recent: withinDays(180, false)}, "ftp", "ftp", false),
		DotDirs:      true,
		StatAll:      true,
		StatIndent:   " ",
		MLSDDotDirs:  true,
		MLSTFullPath: true,
		Facts: []Fact{
			{"modify", factModify},
			{"perm", proftpdPerm},
			{"size", factSize},
			{"type", factType},
			{"unique", func(e Entry, _ string, _ *ListOptions) string { return fmt.Sprintf("FE00U%X", unique(e)&0xffffff) }},
			{"UNIX.group", factGID},
			{"UNIX.groupname", func(_ Entry, _ string, o *ListOptions) string { return o.Group }},
			{"UNIX.mode", factMode},
			{"UNIX.owner", factUID},
			{"UNIX.ownername", func(_ Entry, _ string, o *ListOptions) string { return o.User }},
		},
	},
	ASCII: ASCII{Convert: true, SizeRefused: true, RestRefused: true},
	TLS:   TLS{RequireReuse: true},
})

// proftpdPerm is ProFTPD's perm fact for a session user who neither owns
// the entry nor is in its group (as in the capture: every file is
// root's): a file may always be read, renamed and deleted (its folder is
// writable), written and appended when others may write it; a folder is
// listed and entered when others may enter it, and changed when they may
// write it too ("perm=;" when they may not enter it).
func proftpdPerm(e Entry, kind string, _ *ListOptions) string {
	m := e.Mode.Perm()
	if kind == "dir" || kind == "cdir" || kind == "pdir" {
		switch {
		case m&0o007 == 0o007:
			return "flcdmpe"
		case m&0o005 == 0o005:
			return "fle"
		}
		return emptyFact // "perm=;"
	}
	var b strings.Builder
	if m&0o002 != 0 {
		b.WriteString("a")
	}
	b.WriteString("df")
	b.WriteString("r")
	if m&0o002 != 0 {
		b.WriteString("w")
	}
	return b.String()
}
