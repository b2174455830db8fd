package dialect

// WUFTPD is wu-ftpd 2.6.2 (Washington University FTP daemon, the last
// release of the original project), as Linux distributions shipped it.
//
// wu-ftpd does not run here: its texts come from its source (the
// grammar ftpcmd.y and ftpd.c, as kept in the wu-ftpd source lineage),
// cited in Sources. It has no FEAT, MLSD, MLST or FTPS, and its LIST is
// /bin/ls -lgA, "total" line included.
var WUFTPD = register(&Dialect{
	Name:    "wu-ftpd",
	Product: "wu-ftpd 2.6.2",
	Summary: "no FEAT, MLSD, MLST, EPSV or FTPS (\"500 'FEAT': command not understood.\"); LIST is ls -l output with a \"total\" line and aligned columns; \"550 path: strerror.\" errors; SIZE in ASCII mode counts the converted bytes",
	Sources: []Source{
		{"replies of USER/PASS checks, PORT, TYPE, STRU, REST, the unknown command's \"'%s': command not understood.\"", "wu-ftpd source, src/ftpcmd.y (github.com/ryanfantus/wu-ftpd, which keeps the 2.6 lineage; its later FEAT/MLSx additions are left out)"},
		{"greeting, login, transfers, file commands, perror_reply's \"%s: %s.\"", "wu-ftpd 2.6.2 source, src/ftpd.c"},
		{"LIST output: /bin/ls -lgA, GNU ls column alignment and its six-month rule", "wu-ftpd's ls_long (\"/bin/ls -lgA\"); GNU coreutils ls documentation (\"Formatting file timestamps\")"},
	},
	Greeting: "220 {hostname} FTP server (Version wu-2.6.2(1) Mon Jan 7 12:00:00 UTC 2002) ready.",
	Defaults: Vars{"hostname": "localhost.localdomain"},
	Unknown:  "500 '{line}': command not understood.",
	Missing:  []string{"FEAT", "OPTS", "MLSD", "MLST", "EPSV", "EPRT", "AUTH", "PBSZ", "PROT", "CCC", "MFMT"},
	Replies: map[Key]Reply{
		"* not-logged-in":   "530 Please login with USER and PASS.",
		"USER ok":           "331 Password required for {arg}.",
		"PASS ok":           "230 User {user} logged in.",
		"PASS bad-login":    "530 Login incorrect.",
		"PASS bad-sequence": "503 Login with USER first.",
		"QUIT ok": "221-You have transferred {bytes} bytes in {files} files.\n" +
			"221-Total traffic for this session was {traffic} bytes in {transfers} transfers.\n" +
			"221-Thank you for using the FTP service on {hostname}.\n" +
			"221 Goodbye.",
		"SYST ok":           "215 UNIX Type: L8",
		"NOOP ok":           "200 NOOP command successful.",
		"PWD ok":            `257 "{cwd}" is current directory.`,
		"CWD ok":            "250 CWD command successful.",
		"CWD error":         "550 {arg}: {strerror}.",
		"CDUP ok":           "250 CWD command successful.",
		"TYPE A":            "200 Type set to A.",
		"TYPE I":            "200 Type set to I.",
		"STRU ok":           "200 STRU F ok.",
		"MODE ok":           "200 MODE S ok.",
		"PORT ok":           "200 PORT command successful.",
		"PASV ok":           "227 Entering Passive Mode ({pasv})",
		"SIZE ok":           "213 {size}",
		"SIZE error":        "550 {arg}: {strerror}.",
		"SIZE is-dir":       "550 {arg}: not a plain file.",
		"MDTM ok":           "213 {mtime}",
		"MDTM error":        "550 {arg}: {strerror}.",
		"REST ok":           "350 Restarting at {offset}. Send STORE or RETRIEVE to initiate transfer.",
		"REST bad-arg":      "501 Bad value for REST: {arg}",
		"RETR start":        "150 Opening {type} mode data connection for {arg} ({size} bytes).",
		"RETR ok":           "226 Transfer complete.",
		"RETR error":        "550 {arg}: {strerror}.",
		"STOR start":        "150 Opening {type} mode data connection for {arg}.",
		"STOR ok":           "226 Transfer complete.",
		"STOR error":        "553 {arg}: {strerror}.",
		"APPE start":        "150 Opening {type} mode data connection for {arg}.",
		"APPE ok":           "226 Transfer complete.",
		"LIST start":        "150 Opening ASCII mode data connection for /bin/ls.",
		"LIST ok":           "226 Transfer complete.",
		"NLST start":        "150 Opening ASCII mode data connection for file list.",
		"NLST ok":           "226 Transfer complete.",
		"NLST error":        "550 No files found.",
		"MKD ok":            `257 "{path}" new directory created.`,
		"MKD error":         "550 {arg}: {strerror}.",
		"RMD ok":            "250 RMD command successful.",
		"RMD error":         "550 {arg}: {strerror}.",
		"DELE ok":           "250 DELE command successful.",
		"DELE error":        "550 {arg}: {strerror}.",
		"RNFR ok":           "350 File exists, ready for destination name",
		"RNFR error":        "550 {arg}: {strerror}.",
		"RNTO ok":           "250 RNTO command successful.",
		"RNTO bad-sequence": "503 Bad sequence of commands.",
		"ABOR idle":         "225 ABOR command successful.",
	},
	Listing: Listing{
		Format:  lsFormat("ftp", "ftp"),
		Total:   true,
		DotDirs: true,
		StatAll: true,
	},
	ASCII: ASCII{Convert: true, SizeConverted: true},
})
