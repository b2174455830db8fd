// Package ftpcode is the catalogue of FTP reply codes that mockftpd knows:
// their class, their meaning, the commands that typically get them and a
// realistic default reply text, used when a scenario injects a code without
// text.
//
// Sources: RFC 959 (base), RFC 2228 (security extensions), RFC 2428 (229),
// RFC 1639 (228), RFC 7151 (434), RFC 3659 (213 for SIZE and MDTM), and
// common non-standard use (430).
package ftpcode

import "sort"

// Code describes one FTP reply code.
type Code struct {
	// Code is the three-digit reply code.
	Code int
	// Class is the reply's class, named after its first digit:
	// "1 preliminary", "2 completion", "3 intermediate", "4 transient",
	// "5 permanent" or "6 protected".
	Class string
	// Meaning is a short description of the code.
	Meaning string
	// Text is a default reply text that reads like a real server's reply.
	Text string
	// Commands lists where a server typically sends the code (commands, or
	// situations such as "connection greeting").
	Commands []string
}

// Reply classes, by first digit.
const (
	ClassPreliminary  = "1 preliminary"
	ClassCompletion   = "2 completion"
	ClassIntermediate = "3 intermediate"
	ClassTransient    = "4 transient"
	ClassPermanent    = "5 permanent"
	ClassProtected    = "6 protected"
)

var classes = [...]string{
	1: ClassPreliminary,
	2: ClassCompletion,
	3: ClassIntermediate,
	4: ClassTransient,
	5: ClassPermanent,
	6: ClassProtected,
}

func c(code int, meaning, text string, commands ...string) Code {
	return Code{Code: code, Class: ClassOf(code), Meaning: meaning, Text: text, Commands: commands}
}

// catalogue is sorted by code; a test checks it.
var catalogue = []Code{
	c(110, `restart marker reply; text must read "MARK yyyy = mmmm"`, "MARK yyyy = mmmm", "REST+RETR", "REST+STOR"),
	c(120, "service ready in nnn minutes (sent before the 220 greeting)", "Service ready in 1 minute.", "connection greeting"),
	c(125, "data connection already open; transfer starting", "Data connection already open; transfer starting.", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"),
	c(150, "file status okay; about to open data connection", "File status okay; about to open data connection.", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"),
	c(200, "command okay", "Command okay.", "TYPE", "MODE", "STRU", "PORT", "EPRT", "NOOP", "PBSZ", "PROT", "OPTS"),
	c(202, "command not implemented, superfluous at this site", "Command not implemented, superfluous at this site.", "ALLO", "ACCT", "SITE"),
	c(211, "system status, or system help reply", "System status OK.", "FEAT", "STAT"),
	c(212, "directory status", "Directory status.", "STAT <dir>"),
	c(213, "file status", "File status.", "SIZE", "MDTM", "STAT <file>"),
	c(214, "help message for a human user", "Help OK.", "HELP"),
	c(215, "NAME system type", "UNIX Type: L8", "SYST"),
	c(220, "service ready for new user", "Service ready for new user.", "connection greeting", "REIN"),
	c(221, "service closing control connection", "Goodbye.", "QUIT"),
	c(225, "data connection open; no transfer in progress", "Data connection open; no transfer in progress.", "ABOR"),
	c(226, "closing data connection; requested file action successful", "Closing data connection. Transfer complete.", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD", "ABOR"),
	c(227, "entering passive mode (h1,h2,h3,h4,p1,p2)", "Entering Passive Mode (127,0,0,1,4,1).", "PASV"),
	c(228, "entering long passive mode (long address, port)", "Entering Long Passive Mode (4,4,127,0,0,1,2,4,1).", "LPSV"),
	c(229, "entering extended passive mode (|||port|)", "Entering Extended Passive Mode (|||1025|).", "EPSV"),
	c(230, "user logged in, proceed", "User logged in, proceed.", "USER", "PASS"),
	c(232, "user logged in, authorized by security data exchange", "User logged in, authorized by security data exchange.", "USER"),
	c(234, "security mechanism accepted; no security data to exchange", "AUTH command OK; starting TLS connection.", "AUTH"),
	c(235, "security data accepted; no further data to exchange", "Security data accepted.", "ADAT"),
	c(250, "requested file action okay, completed", "Requested file action okay, completed.", "CWD", "CDUP", "DELE", "RMD", "RNTO", "MFMT"),
	c(257, `"PATHNAME" created`, `"/" is the current directory.`, "MKD", "PWD"),
	c(331, "user name okay, need password", "User name okay, need password.", "USER"),
	c(332, "need account for login", "Need account for login.", "USER", "PASS"),
	c(334, "security mechanism accepted; security data must be exchanged", "Security mechanism accepted; send security data.", "AUTH"),
	c(336, `username okay, password okay; challenge is "...."`, `Username okay, need password. Challenge is "0000".`, "USER", "PASS"),
	c(350, "requested file action pending further information", "Requested file action pending further information.", "RNFR", "REST"),
	c(421, "service not available, closing control connection", "Service not available, closing control connection.", "any command", "connection greeting"),
	c(425, "can't open data connection", "Can't open data connection.", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"),
	c(426, "connection closed; transfer aborted", "Connection closed; transfer aborted.", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"),
	c(430, "invalid username or password (non-standard)", "Invalid username or password.", "PASS"),
	c(431, "need some unavailable resource to process security", "Need some unavailable resource to process security.", "AUTH", "ADAT"),
	c(434, "requested host unavailable", "Requested host unavailable.", "HOST"),
	c(450, "requested file action not taken (file unavailable, e.g. busy)", "Requested file action not taken. File unavailable.", "RETR", "STOR", "DELE", "RNFR", "LIST"),
	c(451, "requested action aborted: local error in processing", "Requested action aborted: local error in processing.", "RETR", "STOR", "APPE", "DELE"),
	c(452, "insufficient storage space in system", "Insufficient storage space in system.", "STOR", "APPE", "STOU", "MKD"),
	c(500, "syntax error, command unrecognized (also: command line too long)", "Syntax error, command unrecognized.", "any unknown command"),
	c(501, "syntax error in parameters or arguments", "Syntax error in parameters or arguments.", "any command with bad arguments"),
	c(502, "command not implemented", "Command not implemented.", "any unimplemented command"),
	c(503, "bad sequence of commands", "Bad sequence of commands.", "RNTO without RNFR", "PASS without USER"),
	c(504, "command not implemented for that parameter", "Command not implemented for that parameter.", "TYPE", "MODE", "STRU", "AUTH"),
	c(530, "not logged in", "Not logged in.", "USER", "PASS", "any command before login"),
	c(532, "need account for storing files", "Need account for storing files.", "STOR", "APPE"),
	c(533, "command protection level denied for policy reasons", "Command protection level denied for policy reasons.", "PROT", "MIC", "CONF", "ENC"),
	c(534, "request denied for policy reasons", "Request denied for policy reasons.", "AUTH", "PROT", "CCC"),
	c(535, "failed security check", "Failed security check.", "ADAT", "MIC", "CONF", "ENC"),
	c(536, "data protection level not supported by security mechanism", "Requested PROT level not supported by mechanism.", "PROT"),
	c(537, "command protection level not supported by security mechanism", "Command protection level not supported by security mechanism.", "MIC", "CONF", "ENC"),
	c(550, "requested action not taken; file unavailable (not found, no access)", "Requested action not taken. File unavailable.", "RETR", "STOR", "DELE", "CWD", "RMD", "MKD", "SIZE", "MDTM", "RNFR"),
	c(551, "requested action aborted: page type unknown", "Requested action aborted: page type unknown.", "STOR", "APPE"),
	c(552, "requested file action aborted: exceeded storage allocation", "Requested file action aborted. Exceeded storage allocation.", "STOR", "APPE"),
	c(553, "requested action not taken: file name not allowed", "Requested action not taken. File name not allowed.", "STOR", "APPE", "RNTO", "MKD"),
	c(631, "integrity protected reply (base64 payload)", "Integrity protected reply.", "MIC"),
	c(632, "confidentiality and integrity protected reply (base64 payload)", "Confidentiality and integrity protected reply.", "ENC"),
	c(633, "confidentiality protected reply (base64 payload)", "Confidentiality protected reply.", "CONF"),
}

var byCode = func() map[int]int {
	m := make(map[int]int, len(catalogue))
	for i, e := range catalogue {
		m[e.Code] = i
	}
	return m
}()

func clone(e Code) Code {
	e.Commands = append([]string(nil), e.Commands...)
	return e
}

// All returns the whole catalogue, sorted by code. The result is a copy the
// caller may change.
func All() []Code {
	out := make([]Code, len(catalogue))
	for i, e := range catalogue {
		out[i] = clone(e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Lookup returns the catalogue entry of code, and false when the code is not
// in the catalogue.
func Lookup(code int) (Code, bool) {
	i, ok := byCode[code]
	if !ok {
		return Code{}, false
	}
	return clone(catalogue[i]), true
}

// Known reports whether code is in the catalogue.
func Known(code int) bool {
	_, ok := byCode[code]
	return ok
}

// ClassOf returns the class of any code from 100 to 699, named after its
// first digit (e.g. "4 transient" for 452 or 499), and "" for other numbers.
func ClassOf(code int) string {
	if code < 100 || code > 699 {
		return ""
	}
	return classes[code/100]
}

// generic texts for codes outside the catalogue, by class digit.
var generic = [...]string{
	1: "Non-standard preliminary reply.",
	2: "Non-standard reply: command okay.",
	3: "Non-standard reply: more information needed.",
	4: "Non-standard reply: transient failure.",
	5: "Non-standard reply: permanent failure.",
	6: "Non-standard protected reply.",
}

// DefaultText returns a realistic reply text for code: the catalogue's text
// for a known code, a generic text naming the class for any other code from
// 100 to 699 (e.g. "Non-standard reply: transient failure." for 499), and
// "Non-standard reply." otherwise.
func DefaultText(code int) string {
	if i, ok := byCode[code]; ok {
		return catalogue[i].Text
	}
	if code >= 100 && code <= 699 {
		return generic[code/100]
	}
	return "Non-standard reply."
}
