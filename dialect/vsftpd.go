package dialect

// VSFTPD is vsftpd 3.0.3 as Debian ships it, with local users.
//
// Sources: testdata/real/vsftpd.txt and vsftpd-tls.txt, what Debian's
// vsftpd 3.0.3 answered to the probe (internal/dialectprobe); vsftpd's
// source for what the probe's anonymous-only configuration cannot show
// (postlogin.c handle_site, prelogin.c, ls.c build_dir_line, sysutil.c
// vsf_sysutil_statbuf_get_date).
var VSFTPD = register(&Dialect{
	Name:    "vsftpd",
	Product: "vsftpd 3.0.3",
	Summary: "no MLSD/MLST; ASCII mode converts nothing; 150/226 texts of its own; LIST of a missing path is empty; FTPS data connections must resume the control connection's TLS session (522, then the session ends)",
	Sources: []Source{
		{"every reply, FEAT, HELP, STAT, listings, FTPS", "testdata/real/vsftpd.txt, testdata/real/vsftpd-tls.txt (Debian vsftpd 3.0.3, captured by go test ./dialect -run TestCapture -capture)"},
		{"local users' login and SITE replies (the capture runs anonymous-only)", "vsftpd 3.0.3 source: prelogin.c (\"Login incorrect.\"), postlogin.c handle_site (\"SITE CHMOD command ok.\", \"CHMOD UMASK HELP\", \"Unknown SITE command.\")"},
		{"LIST columns and the six-month rule", "vsftpd 3.0.3 source: ls.c build_dir_line (links %4, owner and group left in 8, size %8), sysutil.c vsf_sysutil_statbuf_get_date (\"%b %d %H:%M\", or \"%b %d  %Y\" when in the future or older than 182 days)"},
		{"require_ssl_reuse=YES, the default: 522 and the end of the session", "vsftpd.conf(5); testdata/real/vsftpd-tls.txt"},
	},
	Greeting: "220 (vsFTPd 3.0.3)",
	Feat: Feat{
		Header:   "211-Features:",
		Indent:   " ",
		Footer:   "211 End",
		Features: []string{"EPRT", "EPSV", "MDTM", "PASV", "REST STREAM", "SIZE", "TVFS"},
		WithTLS:  []string{"AUTH TLS", "EPRT", "EPSV", "MDTM", "PASV", "PBSZ", "PROT", "REST STREAM", "SIZE", "TVFS"},
	},
	Unknown: "500 Unknown command.",
	Missing: []string{"MLSD", "MLST", "MFMT", "CCC"},
	Replies: map[Key]Reply{
		"* not-logged-in":   "530 Please login with USER and PASS.",
		"USER ok":           "331 Please specify the password.",
		"PASS ok":           "230 Login successful.",
		"PASS bad-login":    "530 Login incorrect.",
		"PASS bad-sequence": "503 Login with USER first.",
		"QUIT ok":           "221 Goodbye.",
		"SYST ok":           "215 UNIX Type: L8",
		"HELP ok": "214-The following commands are recognized.\n" +
			" ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD\n" +
			" MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  RNFR\n" +
			" RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD\n" +
			" XPWD XRMD\n" +
			"214 Help OK.",
		"STAT ok": "211-FTP server status:\n" +
			"     Connected to {client}\n" +
			"     Logged in as {user}\n" +
			"     TYPE: {type}\n" +
			"     No session bandwidth limit\n" +
			"     Session timeout in seconds is 300\n" +
			"     Control connection is plain text\n" +
			"     Data connections will be plain text\n" +
			"     At session startup, client count was {clients}\n" +
			"     vsFTPd 3.0.3 - secure, fast, stable\n" +
			"211 End of status",
		"STAT file":         "213-Status follows:\n{listing}\n213 End of status",
		"STAT dir":          "213-Status follows:\n{listing}\n213 End of status",
		"NOOP ok":           "200 NOOP ok.",
		"PWD ok":            `257 "{cwd}" is the current directory`,
		"CWD ok":            "250 Directory successfully changed.",
		"CWD error":         "550 Failed to change directory.",
		"CDUP ok":           "250 Directory successfully changed.",
		"TYPE A":            "200 Switching to ASCII mode.",
		"TYPE I":            "200 Switching to Binary mode.",
		"TYPE bad-arg":      "500 Unrecognised TYPE command.",
		"MODE ok":           "200 Mode set to S.",
		"MODE bad-arg":      "504 Bad MODE command.",
		"STRU ok":           "200 Structure set to F.",
		"STRU bad-arg":      "504 Bad STRU command.",
		"SIZE ok":           "213 {size}",
		"SIZE error":        "550 Could not get file size.",
		"MDTM ok":           "213 {mtime}",
		"MDTM error":        "550 Could not get file modification time.",
		"REST ok":           "350 Restart position accepted ({offset}).",
		"REST bad-arg":      "350 Restart position accepted (0).",
		"RETR start":        "150 Opening BINARY mode data connection for {arg} ({size} bytes).",
		"RETR ok":           "226 Transfer complete.",
		"RETR error":        "550 Failed to open file.",
		"RETR ascii-rest":   "550 No support for resume of ASCII transfer.",
		"STOR start":        "150 Ok to send data.",
		"STOR ok":           "226 Transfer complete.",
		"STOR error":        "553 Could not create file.",
		"APPE start":        "150 Ok to send data.",
		"APPE ok":           "226 Transfer complete.",
		"APPE error":        "553 Could not create file.",
		"LIST start":        "150 Here comes the directory listing.",
		"LIST ok":           "226 Directory send OK.",
		"LIST error":        "226 Directory send OK.",
		"NLST start":        "150 Here comes the directory listing.",
		"NLST ok":           "226 Directory send OK.",
		"NLST error":        "226 Directory send OK.",
		"MKD ok":            `257 "{path}" created`,
		"MKD error":         "550 Create directory operation failed.",
		"RMD ok":            "250 Remove directory operation successful.",
		"RMD error":         "550 Remove directory operation failed.",
		"DELE ok":           "250 Delete operation successful.",
		"DELE error":        "550 Delete operation failed.",
		"RNFR ok":           "350 Ready for RNTO.",
		"RNFR error":        "550 RNFR command failed.",
		"RNTO ok":           "250 Rename successful.",
		"RNTO error":        "550 Rename failed.",
		"RNTO bad-sequence": "503 RNFR required first.",
		"SITE CHMOD":        "200 SITE CHMOD command ok.",
		"SITE HELP":         "214 CHMOD UMASK HELP",
		"SITE unknown":      "500 Unknown SITE command.",
		"OPTS UTF8":         "200 Always in UTF8 mode.",
		"OPTS MLST":         "501 Option not understood.",
		"PASV ok":           "227 Entering Passive Mode ({pasv}).",
		"EPSV ok":           "229 Entering Extended Passive Mode (|||{epsv}|)",
		"PORT ok":           "200 PORT command successful. Consider using PASV.",
		"EPRT ok":           "200 EPRT command successful. Consider using EPSV.",
		"ABOR idle":         "225 No transfer to ABOR.",
		"PBSZ plain":        "550 Permission denied.",
		"PROT plain":        "550 Permission denied.",
		"AUTH plain":        "530 Please login with USER and PASS.",
		"AUTH TLS":          "234 Proceed with negotiation.",
		"AUTH SSL":          "234 Proceed with negotiation.",
		"PBSZ ok":           "200 PBSZ set to 0.",
		"PROT P":            "200 PROT now Private.",
		"PROT C":            "200 PROT now Clear.",
		"PROT bad-arg":      "504 PROT not recognized.",
		"PROT before-pbsz":  "200 PROT now Private.",
		"RETR no-reuse":     "522 SSL connection failed: session reuse required",
		"STOR no-reuse":     "522 SSL connection failed: session reuse required",
		"APPE no-reuse":     "522 SSL connection failed: session reuse required",
		"LIST no-reuse":     "522 SSL connection failed: session reuse required",
		"NLST no-reuse":     "522 SSL connection failed: session reuse required",
	},
	AfterStart: []Key{"LIST error", "NLST error"},
	Listing: Listing{
		Format:  unixFormat(unixLine{links: "%4d", owner: "%-8s", group: "%-8s", size: "%8d", day: "02", recent: withinDays(182, true)}, "1000", "1000", false),
		DotDirs: true,
		StatAll: true,
	},
	TLS: TLS{RequireReuse: true, CloseAfterNoReuse: true},
})
