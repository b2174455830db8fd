package dialect

import "fmt"

// PureFTPd is pure-ftpd 1.0 (Debian's 1.0.50 build, with TLS support),
// with virtual users.
//
// Sources: testdata/real/pure-ftpd.txt and pure-ftpd-tls.txt (what
// Debian's pure-ftpd answered to the probe, internal/dialectprobe);
// pure-ftpd's src/ls.c for the LIST columns.
var PureFTPd = register(&Dialect{
	Name:    "pure-ftpd",
	Product: "pure-ftpd 1.0.50",
	Summary: "a six-line greeting; \"150 Accepted data connection\"; 226 replies with timings and match counts; NLST lists hidden names and \".\"/\"..\"; ASCII mode converts but REST+RETR is refused; no AUTH SSL; no TLS session reuse check",
	Sources: []Source{
		{"every reply, FEAT, HELP, STAT, listings, FTPS", "testdata/real/pure-ftpd.txt, testdata/real/pure-ftpd-tls.txt (Debian pure-ftpd 1.0.50, captured by go test ./dialect -run TestCapture -capture)"},
		{"the 150 of active transfers (\"Connecting to port N\")", "testdata/real/pure-ftpd-active.txt"},
		{"LIST columns: \"%s %4u %s %s %10llu %s %2d %s %s\" (%18llu from 10^10 bytes), owner and group \"%-10.10s\", a year instead of the time past 180 days", "pure-ftpd source, src/ls.c listfile and getname"},
	},
	Greeting: "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\n" +
		"220-You are user number {users} of {max-users} allowed.\n" +
		"220-Local time is now {time}. Server port: {port}.\n" +
		"220-This is a private system - No anonymous login\n" +
		"220-IPv6 connections are also welcome on this server.\n" +
		"220 You will be disconnected after 15 minutes of inactivity.",
	Defaults: Vars{"max-users": "5"},
	Feat: Feat{
		Header: "211-Extensions supported:",
		Indent: " ",
		Footer: "211 End.",
		Features: []string{"UTF8", "EPRT", "IDLE", "MDTM", "SIZE", "MFMT", "REST STREAM",
			"MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;", "MLSD", "PRET",
			"AUTH TLS", "PBSZ", "PROT", "TVFS", "ESTA", "PASV", "EPSV"},
	},
	Unknown: "500 Unknown command",
	Replies: map[Key]Reply{
		"* not-logged-in":    "530 You aren't logged in",
		"USER ok":            "331 User {arg} OK. Password required",
		"PASS ok":            "230 OK. Current directory is {cwd}",
		"PASS bad-login":     "530 Login authentication failed",
		"PASS bad-sequence":  "530 Please tell me who you are",
		"QUIT ok":            "221-Goodbye. You uploaded {kbytes-in} and downloaded {kbytes-out} kbytes.\n221 Logout.",
		"SYST ok":            "215 UNIX Type: L8",
		"SYST not-logged-in": "215 UNIX Type: L8",
		"HELP ok":            "214-The following SITE commands are recognized\n ALIAS\n CHMOD\n IDLE\n UTIME\n214 Pure-FTPd - http://pureftpd.org/",
		"STAT ok":            "211 https://www.pureftpd.org/",
		"STAT file":          "213-STAT\n{listing}\n213 End.",
		"STAT dir":           "213-STAT\n{listing}\n213 End.",
		"NOOP ok":            "200 Zzz...",
		"PWD ok":             `257 "{cwd}" is your current location`,
		"CWD ok":             "250 OK. Current directory is {cwd}",
		"CWD error":          "550 Can't change directory to {arg}: {strerror}",
		"CDUP ok":            "250 OK. Current directory is {cwd}",
		"TYPE A":             "200 TYPE is now ASCII",
		"TYPE I":             "200 TYPE is now 8-bit binary",
		"TYPE bad-arg":       "504-Unknown TYPE: {arg}\n504 TYPE is now {type-long}",
		"MODE ok":            "200 S OK",
		"MODE bad-arg":       "504 Please use S(tream) mode",
		"STRU ok":            "200 F OK",
		"STRU bad-arg":       "504 Only F(ile) is supported",
		"SIZE ok":            "213 {size}",
		"SIZE error":         "550 Can't check for file existence",
		"SIZE is-dir":        "550 I can only retrieve regular files",
		"MDTM ok":            "213 {mtime}",
		"MDTM error":         "550 Can't check for file existence",
		"REST ok":            "350 Restarting at {offset}",
		"REST ascii":         "350 Restarting at {offset}. But we're in ASCII mode",
		"REST bad-arg":       "554-REST needs a numeric parameter\n554 Restart offset reset to 0",
		"* active":           "150 Connecting to port {client-port}",
		"RETR start":         "150 Accepted data connection",
		"RETR ok":            "226-File successfully transferred\n226 {seconds} seconds (measured here), {rate} per second",
		"RETR ascii":         "226-Warning: client is in ASCII mode - Assuming data is plain text\n226-File successfully transferred\n226 {seconds} seconds (measured here), {rate} per second",
		"RETR ascii-rest":    "503 ASCII resume is unsafe, please delete the file first",
		"RETR error":         "550 Can't open {arg}: {strerror}",
		"RETR is-dir":        "550 I can only retrieve regular files",
		"STOR start":         "150 Accepted data connection",
		"STOR ok":            "226-File successfully transferred\n226 {seconds} seconds (measured here), {rate} per second",
		"STOR error":         "553 Can't open that file: {strerror}",
		"APPE start":         "150 Accepted data connection",
		"APPE ok":            "226-File successfully transferred\n226 {seconds} seconds (measured here), {rate} per second",
		"APPE error":         "553 Can't open that file: {strerror}",
		"LIST start":         "150 Accepted data connection",
		"LIST ok":            "226-Options: {options}\n226 {count} matches total",
		"LIST error":         "226-Options: {options}\n226 {count} matches total",
		"NLST start":         "150 Accepted data connection",
		"NLST ok":            "226 {count} matches total",
		"NLST error":         "550 Can't check for file existence",
		"MLSD start":         "150 Accepted data connection",
		"MLSD ok":            "226 {count} matches total",
		"MLSD error":         "550 Can't check for file existence",
		"MLST ok":            "250-Begin\n {facts}\n250 End.",
		"MLST error":         "550 Can't check for file existence",
		"MKD ok":             `257 "{arg}" : The directory was successfully created`,
		"MKD error":          "550 Can't create directory: {strerror}",
		"RMD ok":             "250 The directory was successfully removed",
		"RMD error":          "550 Can't remove directory: {strerror}",
		"DELE ok":            "250 Deleted {arg}",
		"DELE error":         "550 Could not delete {arg}: {strerror}",
		"DELE is-dir":        "550 Could not delete {arg}: Invalid argument",
		"RNFR ok":            "350 RNFR accepted - file exists, ready for destination",
		"RNFR error":         "550 Sorry, but that file doesn't exist",
		"RNTO ok":            "250 File successfully renamed or moved",
		"RNTO bad-sequence":  "503 Need RNFR before RNTO",
		"SITE CHMOD":         "200 Permissions changed on {site-file}",
		"SITE HELP":          "214-The following SITE commands are recognized\n ALIAS\n CHMOD\n IDLE\n UTIME\n214 Pure-FTPd - http://pureftpd.org/",
		"SITE unknown":       "500 SITE {site} is an unknown extension",
		"OPTS UTF8":          "504 Unknown command",
		"OPTS MLST":          "200  MLST OPTS type;size;sizd;modify;UNIX.mode;UNIX.uid;UNIX.gid;unique;",
		"PASV ok":            "227 Entering Passive Mode ({pasv})",
		"EPSV ok":            "229 Extended Passive mode OK (|||{epsv}|)",
		"PORT ok":            "200 PORT command successful",
		"EPRT ok":            "200 PORT command successful",
		"ABOR idle":          "226 Since you see this ABOR must've succeeded",
		"PBSZ plain":         "503 PBSZ=0",
		"PROT plain":         "503 PROT must be preceded by a successful PBSZ command",
		"CCC plain":          "534 CCC not allowed at this point",
		"AUTH plain":         "500 This security scheme is not implemented",
		"AUTH TLS":           "234 AUTH TLS OK.",
		"AUTH SSL":           "500 This security scheme is not implemented",
		"PBSZ ok":            "200 PBSZ=0",
		"PROT P":             `200 Data protection level set to "private"`,
		"PROT C":             `200 Data protection level set to "clear"`,
		"PROT bad-arg":       "534 Fallback to [C]",
		"PROT before-pbsz":   `200 Data protection level set to "private"`,
		"CCC tls":            "200 Control connection unencrypted",
	},
	AfterStart: []Key{"LIST error"},
	Listing: Listing{
		Format:      unixFormat(unixLine{links: "%4d", owner: "%-10s", group: "%-10s", size: "%10d", bigSize: "%18d", day: "_2", recent: withinDays(180, false), truncateNames: 10}, "1000", "1000", false),
		DotDirs:     true,
		NLSTAll:     true,
		MLSDDotDirs: true,
		Facts: []Fact{
			{"type", func(e Entry, kind string, o *ListOptions) string {
				if kind == "link" {
					return "OS.unix=slink:"
				}
				return kind
			}},
			{"size", factSize},
			{"sizd", func(e Entry, kind string, _ *ListOptions) string {
				if kind == "dir" || kind == "cdir" || kind == "pdir" {
					return fmt.Sprint(e.Size)
				}
				return ""
			}},
			{"modify", factModify},
			{"UNIX.mode", factMode},
			{"UNIX.uid", factUID},
			{"UNIX.gid", factGID},
			{"unique", func(e Entry, _ string, _ *ListOptions) string { return fmt.Sprintf("fe00g%x", unique(e)&0xffffff) }},
		},
	},
	ASCII: ASCII{Convert: true},
})
