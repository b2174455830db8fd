package dialect

import "io/fs"

// ServU is Serv-U FTP Server 15 (SolarWinds, formerly RhinoSoft) on
// Windows.
//
// Serv-U does not run here: its texts come from public transcripts and
// documentation, cited per text in Sources; the replies none shows are
// marked Unverified or left to mockftpd.
var ServU = register(&Dialect{
	Name:    "serv-u",
	Product: "Serv-U FTP Server 15",
	Summary: "LIST with \".\" and \"..\", Windows-style permissions (drw-rw-rw-) and owner \"user\" group \"group\"; a long FEAT with MLST, XCRC, MODE Z and RMDA; \"331 User name okay, need password.\"",
	Sources: []Source{
		{"greeting (\"Serv-U FTP Server v15.0 ready...\")", "Metasploit auxiliary/server/capture/ftp documentation (banners to emulate)"},
		{"USER, a refused PASS, the 150 of STOR", "a Serv-U v6.2 session in a public hosting FAQ (\"331 User name okay, need password.\", \"530 Not logged in.\", \"150 Opening BINARY mode data connection for test.txt.\")"},
		{"FEAT of Serv-U 10 and later", "OverbyteIcsFtpCli.pas, Internet Component Suite (F. Piette), its list of the FEAT replies of common servers"},
		{"LIST lines (\"drw-rw-rw-   1 user     group           0 Aug  3 21:52 ..\")", "test fixtures of public FTP integrations written against Serv-U servers (RSpec fixtures listing a Serv-U directory)"},
	},
	Greeting: "220 Serv-U FTP Server v15.0 ready...",
	Feat: Feat{
		Header: "211-Extensions supported",
		Indent: " ",
		Footer: "211 End",
		Features: []string{"UTF8", "OPTS MODE;MLST;UTF8", "CLNT", "CSID Name; Version;", "HOST domain", "SITE PSWD;SET;ZONE;CHMOD;MSG;EXEC;HELP",
			"AUTH TLS;SSL;TLS-C;TLS-P;", "PBSZ", "PROT", "CCC", "SSCN", "RMDA directoryname", "DSIZ", "AVBL", "EPRT", "EPSV", "MODE Z",
			"THMB BMP|JPEG|GIF|TIFF|PNG max_width max_height pathname", "REST STREAM", "SIZE", "MDTM", "MDTM YYYYMMDDHHMMSS[+-TZ];filename",
			"MFMT", "MFCT", "MFF Create;Modify;", "XCRC filename;start;end", "MLST Type*;Size*;Create;Modify*;Perm;Win32.ea;Win32.dt;Win32.dl"},
	},
	Replies: map[Key]Reply{
		"USER ok":        "331 User name okay, need password.",
		"PASS bad-login": "530 Not logged in.",
		"PASS ok":        "230 User logged in, proceed.",
		"SYST ok":        "215 UNIX Type: L8",
		"STOR start":     "150 Opening {type} mode data connection for {arg}.",
		"RETR start":     "150 Opening {type} mode data connection for {arg} ({size} Bytes).",
		"LIST start":     "150 Opening ASCII mode data connection for /bin/ls.",
		"STOR ok":        "226 Transfer complete.",
		"RETR ok":        "226 Transfer complete.",
		"LIST ok":        "226 Transfer complete.",
	},
	Unverified: []Key{"PASS ok", "SYST ok", "RETR start", "LIST start", "STOR ok", "RETR ok", "LIST ok"},
	Listing: Listing{
		Format: func() Format {
			f := unixFormat(unixLine{links: "%4d", owner: "%-8s", group: "%-8s", size: "%8d", day: "_2", recent: withinDays(182, true)}, "user", "group", true)
			f.Perms = func(e Entry) string {
				if e.Mode.IsDir() {
					return "drw-rw-rw-"
				}
				if e.Mode&fs.ModeSymlink != 0 {
					return "lrw-rw-rw-"
				}
				return "-rw-rw-rw-"
			}
			return f
		}(),
		ShowHidden:    true,
		DotDirsAlways: true,
		Facts: []Fact{
			{"type", factType},
			{"size", factSize},
			{"modify", factModify},
			{"perm", func(_ Entry, kind string, _ *ListOptions) string {
				if kind == "dir" || kind == "cdir" || kind == "pdir" {
					return "fdelcmp"
				}
				return "rawfd"
			}},
		},
	},
})
