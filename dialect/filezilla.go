package dialect

import (
	"strconv"
	"time"
)

// FileZillaServer is FileZilla Server 1.8 (the 1.x rewrite) on Windows.
//
// FileZilla Server does not run here: its texts come from public
// transcripts, cited per text in Sources. Replies no transcript shows
// are left to mockftpd (the dialect has no key for them).
var FileZillaServer = register(&Dialect{
	Name:    "filezilla-server",
	Product: "FileZilla Server 1.8",
	Summary: "SYST \"UNIX emulated by FileZilla.\"; LIST owner and group always \"ftp ftp\"; MLSD times with milliseconds and a \"perms\" fact; FTPS data connections must resume the TLS session (425); UTF-8 always on (202)",
	Sources: []Source{
		{"greeting", "github.com/Natizyskunk/vscode-sftp issue 506 (FileZilla Server 1.8.2 log: \"220-FileZilla Server 1.8.2\", \"220 Please visit https://filezilla-project.org/\")"},
		{"AUTH TLS, USER, PASS, FEAT, TYPE I, OPTS UTF8, PBSZ, PROT P, EPSV, the 150 of MLSD, the 425 when the data connection does not resume the TLS session", "github.com/jlaffaye/ftp issue 342 (FileZilla Pro Enterprise Server 1.6.6 transcript), github.com/asbachb/ftp4j issue 9 and github.com/nova-video-player/aos-AVP issue 890 (\"425 Unable to build data connection: TLS session of data connection not resumed.\")"},
		{"PWD, CWD, TYPE A, PASV, MLSD lines (type;size;modify with milliseconds;perms), 226, STAT of a folder, 550 of LIST", "github.com/iterate-ch/cyberduck issue 13294 (FileZilla Server 1.3 transcript)"},
		{"SYST, LIST lines (\"-r--r--r-- 1 ftp ftp        22851463 Jul 03  2023 name\")", "nmap ftp-syst and ftp-anon output of FileZilla Server 1.4.1 and 1.7.2 in public penetration-test write-ups"},
	},
	Greeting: "220-FileZilla Server 1.8.2\n220 Please visit https://filezilla-project.org/",
	Feat: Feat{
		Header:   "211-Features:",
		Indent:   " ",
		Footer:   "211 End",
		Features: []string{"MDTM", "REST STREAM", "SIZE", "MLST type*;size*;modify*;perm*;", "MLSD", "AUTH SSL", "AUTH TLS", "PROT", "PBSZ", "UTF8", "TVFS", "EPSV", "EPRT", "MFMT"},
	},
	Replies: map[Key]Reply{
		"USER ok":       "331 Please, specify the password.",
		"PASS ok":       "230 Login successful.",
		"SYST ok":       "215 UNIX emulated by FileZilla.",
		"PWD ok":        `257 "{cwd}" is current directory.`,
		"CWD ok":        "250 CWD command successful",
		"TYPE A":        "200 Type set to A",
		"TYPE I":        "200 Type set to I",
		"OPTS UTF8":     "202 UTF8 mode is always enabled. No need to send this command",
		"PASV ok":       "227 Entering Passive Mode ({pasv})",
		"EPSV ok":       "229 Entering Extended Passive Mode (|||{epsv}|)",
		"MLSD start":    "150 About to start data transfer.",
		"LIST start":    "150 About to start data transfer.",
		"NLST start":    "150 About to start data transfer.",
		"RETR start":    "150 About to start data transfer.",
		"STOR start":    "150 About to start data transfer.",
		"APPE start":    "150 About to start data transfer.",
		"MLSD ok":       "226 Operation successful",
		"LIST ok":       "226 Operation successful",
		"NLST ok":       "226 Operation successful",
		"RETR ok":       "226 Operation successful",
		"STOR ok":       "226 Operation successful",
		"APPE ok":       "226 Operation successful",
		"LIST error":    "550 Couldn't open the file or directory",
		"MLSD error":    "550 Couldn't open the file or directory",
		"STAT dir":      "211-Status of {path}:\n{listing}\n211 End",
		"AUTH TLS":      "234 Using authentication type TLS.",
		"PBSZ ok":       "200 PBSZ=0",
		"PROT P":        "200 Protection level set to P",
		"RETR no-reuse": "425 Unable to build data connection: TLS session of data connection not resumed.",
		"STOR no-reuse": "425 Unable to build data connection: TLS session of data connection not resumed.",
		"APPE no-reuse": "425 Unable to build data connection: TLS session of data connection not resumed.",
		"LIST no-reuse": "425 Unable to build data connection: TLS session of data connection not resumed.",
		"NLST no-reuse": "425 Unable to build data connection: TLS session of data connection not resumed.",
		"MLSD no-reuse": "425 Unable to build data connection: TLS session of data connection not resumed.",
	},
	Listing: Listing{
		Format:     unixFormat(unixLine{links: "%d", owner: "%s", group: "%s", size: "%15d", day: "02", recent: withinDays(182, true)}, "ftp", "ftp", true),
		ShowHidden: true,
		StatIndent: " ",
		Facts: []Fact{
			{"type", func(_ Entry, kind string, _ *ListOptions) string {
				if kind == "link" {
					return "file"
				}
				return kind
			}},
			{"size", factSize},
			{"modify", func(e Entry, _ string, _ *ListOptions) string {
				t := e.ModTime.UTC()
				return t.Format("20060102150405") + "." + pad3(t.Nanosecond()/int(time.Millisecond))
			}},
			{"perms", func(e Entry, kind string, _ *ListOptions) string {
				if kind == "dir" {
					return "cplemfd"
				}
				return "awrfd"
			}},
		},
	},
	TLS: TLS{RequireReuse: true},
})

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}
