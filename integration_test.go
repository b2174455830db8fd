package mockftpd_test

// The client-behaviour tests: every reply code of the catalogue, injected
// by a scenario file under scenarios/codes/ where a real server sends it
// and where a client does not expect it, and every socket fault, each
// driven through the public API of github.com/jlaffaye/ftp (or through
// net/textproto where jlaffaye/ftp has no call that sends the command).
// Each case states exactly what the client observes; the results make the
// matrix in docs/client-behaviour.md (go test -run 'TestReplyCodes|TestSocketFaults' -update).

import (
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftpcode"
	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/server"
)

// codeCase is one reply code injected in one context.
type codeCase struct {
	Code    int
	Typical bool   // the code's typical place (a command the catalogue names for it), or out of context
	Context string // the command or situation, and the client call that meets it
	File    string // the scenario, scenarios/codes/<File>.yaml
	Run     action // drives the client
	Want    obs    // exactly what the client observes
}

// want is an expected observation: the calls in order, then the state of
// the control connection.
func want(after string, steps ...step) obs { return obs{Steps: steps, After: after} }

// st is one expected call; got is what it returned besides its error.
func st(call string, out outcome, got ...string) step {
	return step{Call: call, Out: out, Got: strings.Join(got, "")}
}

// The file every download case serves, and what reading it gives.
const (
	file     = "/pub/file.txt"
	fileText = "hello, world\n"
)

// bytesGot is what a step that read data reports.
func bytesGot(s string) string { return fmt.Sprintf("%d bytes %q", len(s), s) }

// deflt is the catalogue's default text for code, which the engine sends
// when a scenario gives a bare code.
func deflt(code int) string { return ftpcode.DefaultText(code) }

// download is a whole, successful Retr as doRetr records it.
var download = []step{st("Retr", okay), st("io.ReadAll", okay, bytesGot(fileText)), st("Close", okay)}

// then joins steps.
func then(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// retried marks steps as those of a retry.
func retried(steps []step) []step {
	out := make([]step, len(steps))
	for i, s := range steps {
		s.Call += " (retry)"
		out[i] = s
	}
	return out
}

var (
	noEPSV      = dialOpt{noEPSV: true}
	explicitTLS = dialOpt{explicitTLS: true}
)

// base64 payloads of the protected replies (RFC 2228): they stand for
// "200 Command okay.", `257 "/" is the current directory.` and "250 Okay.".
const (
	mic200 = "MjAwIENvbW1hbmQgb2theS4="
	mic257 = "MjU3ICIvIiBpcyB0aGUgY3VycmVudCBkaXJlY3Rvcnku"
	mic250 = "MjUwIE9rYXku"
)

var codeCases = []codeCase{
	// 1xx: preliminary replies
	{110, true, "REST+RETR: 110 restart marker instead of 150", "110-rest-retr",
		loggedIn(doRetr(file, 5, 0)),
		want(outOfStep(226, "Closing transfer connection"), st("RetrFrom(5)", replyErr(110, "MARK 5 = 5")))},
	{110, false, "NOOP", "110-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(110, "MARK 0 = 0")))},
	{120, true, "greeting: 120 then 220, jlaffaye/ftp Dial", "120-greeting", dialed(),
		want(noClient, st("Dial", replyErr(120, deflt(120))))},
	{120, true, "greeting: 120 then 220, read by net/textproto", "120-greeting",
		rawSession(false, exchange{"", 2}),
		want(notLoggedIn, st("textproto: (greeting)", read(120, deflt(120))), st("textproto: (next reply)", read(220, "mockftpd ready")))},
	{120, false, "NOOP", "120-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(120, "Service ready in 5 minutes.")))},
	{125, true, "RETR: 125 instead of 150", "125-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, download...)},
	{125, false, "MKD", "125-mkd", loggedIn(doMkd("/new")),
		want(usable, st("MakeDir", replyErr(125, "Data connection already open; transfer starting.")))},
	{150, true, "RETR", "150-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, download...)},
	{150, false, "NOOP: 150, then 200", "150-noop", loggedIn(doNoOp),
		want(outOfStep(200, "NOOP ok."), st("NoOp", replyErr(150, "File status okay; about to open data connection.")))},

	// 2xx: completion replies
	{200, true, "NOOP", "200-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", okay))},
	{200, false, "end of STOR: 200 instead of 226", "200-stor", loggedIn(doStor("/up.txt", "hello")),
		want(usable, st("Stor", replyErr(200, "Command okay."), `server has /up.txt: "hello"`))},
	{202, true, "ALLO (jlaffaye/ftp has no ALLO call: net/textproto)", "202-allo", rawCmd("ALLO 1048576"),
		want(usable, st("textproto: ALLO 1048576", read(202, "No storage allocation necessary.")))},
	{202, false, "OPTS UTF8 ON, sent by Login", "202-opts", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", okay))},
	{202, false, "NOOP", "202-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(202, "Command not implemented, superfluous at this site.")))},
	{211, true, "FEAT, sent by Login: multi-line list of MDTM and SIZE", "211-feat", dialed(doLogin, doFeatures),
		want(usable, st("Dial", okay), st("Login", okay),
			st("IsGetTimeSupported, IsSetTimeSupported, IsTimePreciseInList", okay, "MDTM true, MFMT false, MLST false"))},
	{211, false, "NOOP: multi-line", "211-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(211, "Status follows:\nAll systems nominal.\nEnd of status")))},
	{212, true, "STAT <dir> (jlaffaye/ftp has no STAT call: net/textproto)", "212-stat", rawCmd("STAT /pub"),
		want(usable, st("textproto: STAT /pub", read(212, "Status of /pub:\n-rw-r--r-- 1 ftp ftp 13 Jan 01 00:00 file.txt\nEnd of status")))},
	{212, false, "CWD", "212-cwd", loggedIn(doCwd("/pub")),
		want(usable, st("ChangeDir", replyErr(212, "Directory status.")))},
	{213, true, "SIZE", "213-size", loggedIn(doSize(file)),
		want(usable, st("FileSize", okay, "1048576"))},
	{213, false, "DELE", "213-dele", loggedIn(doDelete(file)),
		want(usable, st("Delete", replyErr(213, "File status.")))},
	{214, true, "HELP (jlaffaye/ftp has no HELP call: net/textproto)", "214-help", rawCmd("HELP"),
		want(usable, st("textproto: HELP", read(214, "The following commands are recognized.\n ABOR ALLO APPE CDUP CWD DELE EPSV FEAT HELP LIST MDTM MKD\nHelp OK.")))},
	{214, false, "NOOP: multi-line", "214-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(214, "Direct comments to ftp-admin@example.com.\nHelp OK.")))},
	{215, true, "SYST (jlaffaye/ftp has no SYST call: net/textproto)", "215-syst", rawCmd("SYST"),
		want(usable, st("textproto: SYST", read(215, deflt(215))))},
	{215, false, "NOOP", "215-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(215, "UNIX Type: L8")))},
	{220, true, "greeting: multi-line", "220-greeting", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", okay))},
	{220, true, "REIN, sent by Logout", "220-rein", loggedIn(doLogout),
		want(usable, st("Logout", okay))},
	{220, false, "USER, sent by Login", "220-user", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", textErr("Service ready for new user.")))},
	{221, true, "QUIT (1s late), sent by Quit", "221-quit", loggedIn(doQuit),
		want(quitted, st("Quit", okay, "returned before the server answered"))},
	{221, true, "QUIT (1s late), read by net/textproto", "221-quit", rawCmd("QUIT"),
		want(closed, st("textproto: QUIT", read(221, "Goodbye.")))},
	{221, false, "NOOP, then a close", "221-noop", loggedIn(doNoOp),
		want(closed, st("NoOp", replyErr(221, "Service closing control connection.")))},
	{225, true, "ABOR (jlaffaye/ftp has no ABOR call: net/textproto)", "225-abor", rawCmd("ABOR"),
		want(usable, st("textproto: ABOR", read(225, "Data connection open; no transfer in progress.")))},
	{225, false, "end of RETR: 225 instead of 226", "225-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", okay), st("io.ReadAll", okay, bytesGot(fileText)),
			st("Close", replyErr(225, "Data connection open; no transfer in progress.")))},
	{226, true, "end of RETR", "226-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, download...)},
	{226, true, "ABOR: 426, then 226 (jlaffaye/ftp has no ABOR call: net/textproto)", "226-abor",
		rawSession(true, exchange{"ABOR", 2}),
		want(usable, st("textproto: ABOR", read(426, "Connection closed; transfer aborted.")), st("textproto: (next reply)", read(226, "Abort successful.")))},
	{226, false, "RETR: 226 at once, with no 1xx", "226-retr-first", loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", replyErr(226, "Transfer complete.")))},
	{227, true, "PASV (EPSV disabled): 227 for 10.0.0.1 port 1", "227-pasv", nobodyOnPort1(session(noEPSV, true, doRetr(file, 0, 0))),
		want(usable, st("Retr", connRefused, "dialed 127.0.0.1:1"))},
	{227, false, "EPSV", "227-epsv", loggedIn(doRetr(file, 0, 0), sent("EPSV", "PASV", "RETR")),
		want(usable, then(download, []step{st("(server journal)", okay, "client sent EPSV, PASV, RETR")})...)},
	{228, true, "LPSV (jlaffaye/ftp has no LPSV call: net/textproto)", "228-lpsv", rawCmd("LPSV"),
		want(usable, st("textproto: LPSV", read(228, "Entering Long Passive Mode (4,4,127,0,0,1,2,4,1).")))},
	{228, false, "PASV (EPSV disabled)", "228-pasv", session(noEPSV, true, doRetr(file, 0, 0)),
		want(usable, st("Retr", replyErr(228, "Entering Long Passive Mode (4,4,127,0,0,1,2,4,1).")))},
	{229, true, "EPSV: 229 for port 1", "229-epsv", nobodyOnPort1(loggedIn(doRetr(file, 0, 0))),
		want(usable, st("Retr", connRefused, "dialed 127.0.0.1:1"))},
	{229, false, "PASV (EPSV disabled)", "229-pasv", session(noEPSV, true, doRetr(file, 0, 0)),
		want(usable, st("Retr", replyErr(229, "Entering Extended Passive Mode (|||1|)")))},
	{230, true, "USER, sent by Login", "230-user", dialed(doLogin, sent("USER", "PASS")),
		want(usable, st("Dial", okay), st("Login", okay), st("(server journal)", okay, "client sent USER"))},
	{230, true, "PASS, sent by Login: multi-line", "230-pass", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", okay))},
	{230, false, "CWD", "230-cwd", loggedIn(doCwd("/pub")),
		want(usable, st("ChangeDir", replyErr(230, "User logged in, proceed.")))},
	{232, true, "USER, sent by Login", "232-user", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", textErr("User logged in, authorized by security data exchange.")))},
	{232, false, "PASS, sent by Login", "232-pass", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", replyErr(232, "User logged in, authorized by security data exchange.")))},
	{234, true, "AUTH TLS, sent by Dial with DialWithExplicitTLS", "234-auth", session(explicitTLS, false, doLogin),
		want(usable, st("Dial", okay), st("Login", okay))},
	{234, false, "NOOP", "234-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(234, "Security mechanism accepted.")))},
	{235, true, "ADAT after AUTH GSSAPI (jlaffaye/ftp has no ADAT call: net/textproto)", "235-adat",
		rawSession(false, exchange{"AUTH GSSAPI", 1}, exchange{"ADAT YIIBBgYJKoZIhvcSAQICAQA=", 1}),
		want(notLoggedIn, st("textproto: AUTH GSSAPI", read(334, "Using authentication type GSSAPI; ADAT must follow.")),
			st("textproto: ADAT YIIBBgYJKoZIhvcSAQICAQA=", read(235, "ADAT=YWNjZXB0ZWQ=")))},
	{235, false, "PASS, sent by Login", "235-pass", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", replyErr(235, "Security data accepted.")))},
	{250, true, "CWD", "250-cwd", loggedIn(doCwd("/pub")),
		want(usable, st("ChangeDir", okay))},
	{250, false, "end of RETR: 250 instead of 226", "250-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", okay), st("io.ReadAll", okay, bytesGot(fileText)), st("Close", replyErr(250, "Transfer complete.")))},
	{250, false, "MKD", "250-mkd", loggedIn(doMkd("/new")),
		want(usable, st("MakeDir", replyErr(250, "Directory created.")))},
	{257, true, "PWD", "257-pwd", loggedIn(doPWD),
		want(usable, st("CurrentDir", okay, `"/srv/ftp"`))},
	{257, false, "CWD", "257-cwd", loggedIn(doCwd("/pub")),
		want(usable, st("ChangeDir", replyErr(257, `"/pub" is the current directory.`)))},

	// 3xx: intermediate replies
	{331, true, "USER, sent by Login", "331-user", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", okay))},
	{331, false, "PASS, sent by Login", "331-pass", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", replyErr(331, "User name okay, need password.")))},
	{332, true, "PASS, sent by Login", "332-pass", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", replyErr(332, "Need account for login.")))},
	{332, false, "RETR", "332-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", replyErr(332, "Need account for login.")))},
	{334, true, "AUTH TLS, sent by Dial with DialWithExplicitTLS", "334-auth", session(explicitTLS, false),
		want(noClient, st("Dial", replyErr(334, "Security mechanism accepted; send security data.")))},
	{334, false, "USER, sent by Login", "334-user", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", textErr("Security mechanism accepted; send security data.")))},
	{336, true, "USER, sent by Login", "336-user", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", textErr(deflt(336))))},
	{336, false, "NOOP", "336-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(336, `Username okay, need password. Challenge is "0000".`)))},
	{350, true, "RNFR, sent by Rename", "350-rnfr", loggedIn(doRename("/docs/draft.txt", "/docs/final.txt")),
		want(usable, st("Rename", okay, `server has /docs/final.txt: "draft\n"`))},
	{350, true, "REST, sent by RetrFrom", "350-rest", loggedIn(doRetr(file, 5, 0)),
		want(usable, st("RetrFrom(5)", okay), st("io.ReadAll", okay, bytesGot(fileText[5:])), st("Close", okay))},
	{350, false, "CWD", "350-cwd", loggedIn(doCwd("/pub")),
		want(usable, st("ChangeDir", replyErr(350, "Requested file action pending further information.")))},

	// 4xx: transient negative replies
	{421, true, "greeting, then a close", "421-greeting", dialed(),
		want(noClient, st("Dial", replyErr(421, "Too many users, try again later.")))},
	{421, true, "NOOP, then a close", "421-noop", loggedIn(doNoOp),
		want(closed, st("NoOp", replyErr(421, "Service not available, closing control connection.")))},
	{421, true, "USER, sent by Login, then a close", "421-user", dialed(doLogin),
		want(closed, st("Dial", okay), st("Login", textErr("Service not available, closing control connection.")))},
	{425, true, "RETR", "425-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", replyErr(425, "Can't open data connection.")))},
	{426, true, "RETR: data closed after 5 bytes, then 426", "426-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", okay), st("io.ReadAll", okay, bytesGot(fileText[:5])), st("Close", replyErr(426, "Connection closed; transfer aborted.")))},
	{426, true, "RETR: 150 and the whole file, then 426", "150-426-retr", loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", okay), st("io.ReadAll", okay, bytesGot(fileText)), st("Close", replyErr(426, "Connection closed; transfer aborted.")))},
	{430, true, "PASS, sent by Login", "430-pass", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", replyErr(430, "Invalid username or password.")))},
	{431, true, "AUTH TLS, sent by Dial with DialWithExplicitTLS", "431-auth", session(explicitTLS, false),
		want(noClient, st("Dial", replyErr(431, "Need some unavailable resource to process security.")))},
	{434, true, "HOST (jlaffaye/ftp has no HOST call: net/textproto)", "434-host", rawSession(false, exchange{"HOST ftp.example.com", 1}),
		want(notLoggedIn, st("textproto: HOST ftp.example.com", read(434, "Requested host unavailable.")))},
	{450, true, "RETR once, then a retry", "450-retr", loggedIn(doRetr(file, 0, 0), retry(doRetr(file, 0, 0))),
		want(usable, then([]step{st("Retr", replyErr(450, deflt(450)))}, retried(download))...)},
	{451, true, "STOR once, then a retry", "451-stor", loggedIn(doStor("/up.txt", "hello"), retry(doStor("/up.txt", "hello"))),
		want(usable, st("Stor", replyErr(451, "Requested action aborted: local error in processing."), "server has no /up.txt"),
			st("Stor (retry)", okay, `server has /up.txt: "hello"`))},
	{452, true, "STOR once, then a retry", "452-stor", loggedIn(doStor("/up.txt", "hello"), retry(doStor("/up.txt", "hello"))),
		want(usable, st("Stor", replyErr(452, "Insufficient storage space in system."), "server has no /up.txt"),
			st("Stor (retry)", okay, `server has /up.txt: "hello"`))},

	// 5xx: permanent negative replies
	{500, true, "OPTS UTF8 ON, sent by Login", "500-opts", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", textErr("'OPTS UTF8 ON': command not understood.")))},
	{501, true, "CWD", "501-cwd", loggedIn(doCwd("/pub")),
		want(usable, st("ChangeDir", replyErr(501, "Syntax error in parameters or arguments.")))},
	{501, true, "OPTS UTF8 ON, sent by Login", "501-opts", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", okay))},
	{502, true, "EPSV, then PASV for this and the next download", "502-epsv",
		loggedIn(doRetr(file, 0, 0), retry(doRetr(file, 0, 0)), sent("EPSV", "PASV")),
		want(usable, then(download, retried(download), []step{st("(server journal)", okay, "client sent EPSV, PASV, PASV")})...)},
	{503, true, "RNTO, sent by Rename", "503-rnto", loggedIn(doRename("/docs/draft.txt", "/docs/final.txt")),
		want(usable, st("Rename", replyErr(503, "Bad sequence of commands.")))},
	{504, true, "TYPE I, sent by Login", "504-type", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", replyErr(504, "Command not implemented for that parameter.")))},
	{504, false, "OPTS UTF8 ON, sent by Login", "504-opts", dialed(doLogin),
		want(usable, st("Dial", okay), st("Login", okay))},
	{530, true, "PASS, sent by Login", "530-pass", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", replyErr(530, "Login incorrect.")))},
	{530, true, "USER, sent by Login", "530-user", dialed(doLogin),
		want(notLoggedIn, st("Dial", okay), st("Login", textErr("This FTP server is anonymous only.")))},
	{532, true, "STOR", "532-stor", loggedIn(doStor("/up.txt", "hello")),
		want(usable, st("Stor", replyErr(532, "Need account for storing files."), "server has no /up.txt"))},
	{533, true, "PROT P, sent by Login with DialWithExplicitTLS", "533-prot", session(explicitTLS, false, doLogin),
		want(usable, st("Dial", okay), st("Login", replyErr(533, "Command protection level denied for policy reasons.")))},
	{534, true, "AUTH TLS, sent by Dial with DialWithExplicitTLS", "534-auth", session(explicitTLS, false),
		want(noClient, st("Dial", replyErr(534, "Request denied for policy reasons.")))},
	{535, true, "ADAT after AUTH GSSAPI (jlaffaye/ftp has no ADAT call: net/textproto)", "535-adat",
		rawSession(false, exchange{"AUTH GSSAPI", 1}, exchange{"ADAT YIIBBgYJKoZIhvcSAQICAQA=", 1}),
		want(notLoggedIn, st("textproto: AUTH GSSAPI", read(334, "Using authentication type GSSAPI; ADAT must follow.")),
			st("textproto: ADAT YIIBBgYJKoZIhvcSAQICAQA=", read(535, "Failed security check.")))},
	{536, true, "PROT P, sent by Login with DialWithExplicitTLS", "536-prot", session(explicitTLS, false, doLogin),
		want(usable, st("Dial", okay), st("Login", replyErr(536, "Requested PROT level not supported by mechanism.")))},
	{537, true, "MIC (jlaffaye/ftp has no MIC call: net/textproto)", "537-mic", rawCmd("MIC Tk9PUA=="),
		want(usable, st("textproto: MIC Tk9PUA==", read(537, "Command protection level not supported by security mechanism.")))},
	{550, true, "RETR", "550-retr", loggedIn(doRetr("/pub/missing.txt", 0, 0)),
		want(usable, st("Retr", replyErr(550, deflt(550))))},
	{551, true, "STOR", "551-stor", loggedIn(doStor("/up.txt", "hello")),
		want(usable, st("Stor", replyErr(551, deflt(551)), "server has no /up.txt"))},
	{552, true, "APPE, sent by Append", "552-appe", loggedIn(doAppend("/logs/app.log", "line 2\n")),
		want(usable, st("Append", replyErr(552, "Requested file action aborted. Exceeded storage allocation."), `server has /logs/app.log: "line 1\n"`))},
	{553, true, "MKD", "553-mkd", loggedIn(doMkd("/bad:name")),
		want(usable, st("MakeDir", replyErr(553, deflt(553))))},

	// 6xx: protected replies (RFC 2228)
	{631, true, "MIC (jlaffaye/ftp has no MIC call: net/textproto)", "631-mic", rawCmd("MIC Tk9PUA=="),
		want(usable, st("textproto: MIC Tk9PUA==", read(631, mic200)))},
	{631, false, "NOOP", "631-noop", loggedIn(doNoOp),
		want(usable, st("NoOp", replyErr(631, mic200)))},
	{632, true, "ENC (jlaffaye/ftp has no ENC call: net/textproto)", "632-enc", rawCmd("ENC Tk9PUA=="),
		want(usable, st("textproto: ENC Tk9PUA==", read(632, mic200)))},
	{632, false, "PWD", "632-pwd", loggedIn(doPWD),
		want(usable, st("CurrentDir", replyErr(632, mic257)))},
	{633, true, "CONF (jlaffaye/ftp has no CONF call: net/textproto)", "633-conf", rawCmd("CONF Tk9PUA=="),
		want(usable, st("textproto: CONF Tk9PUA==", read(633, mic200)))},
	{633, false, "CWD", "633-cwd", loggedIn(doCwd("/pub")),
		want(usable, st("ChangeDir", replyErr(633, mic250)))},
}

// nobodyOnPort1 skips a case whose scenario names port 1 on loopback as a
// data port when something listens there after all.
func nobodyOnPort1(a action) action {
	return func(t *testing.T, srv *ftptest.Server) obs {
		if c, err := net.Dial("tcp", "127.0.0.1:1"); err == nil {
			_ = c.Close()
			t.Skip("something listens on 127.0.0.1:1, the port the scenario names as refusing")
		}
		return a(t, srv)
	}
}

func (c codeCase) key() string { return fmt.Sprintf("%d %s", c.Code, c.Context) }

// TestReplyCodes injects every code of the catalogue with the files under
// scenarios/codes and checks exactly what jlaffaye/ftp observes, then
// checks (or with -update writes) the matrix in docs/client-behaviour.md.
func TestReplyCodes(t *testing.T) {
	t.Run("coverage", testCodeCoverage)
	t.Run("real-client tasks", testRealTasks)

	var mu sync.Mutex
	results := map[string]obs{}
	var real realResults
	t.Run("cases", func(t *testing.T) {
		t.Run("real clients", func(t *testing.T) {
			t.Parallel()
			runRealClients(t, codeTasks, func(t *testing.T, file string, mode rc.Mode) (string, *ftptest.Server) {
				srv := realServer(t, mode, ftptest.WithScenarioFile(filepath.Join(codesDir, file+".yaml")))
				return srv.Addr(), srv
			}, &real)
		})
		for _, c := range codeCases {
			t.Run(fmt.Sprintf("%s/%s", c.File, c.Context), func(t *testing.T) {
				t.Parallel()
				// FTPS offered, for the AUTH and PROT cases
				srv := ftptest.New(t, ftptest.WithScenarioFile(filepath.Join(codesDir, c.File+".yaml")), ftptest.WithTLS(server.TLSExplicit))
				got := c.Run(t, srv)
				mu.Lock()
				results[c.key()] = got
				mu.Unlock()
				checkObs(t, got, c.Want)
			})
		}
	})
	if t.Failed() {
		return
	}
	if len(results) != len(codeCases) {
		t.Logf("ran %d of %d cases: the matrix is neither checked nor written", len(results), len(codeCases))
		return
	}
	if !real.complete(slices.Collect(maps.Keys(codeTasks))) {
		t.Logf("the real clients did not all run (see the skipped tests): the matrix is neither checked nor written")
		return
	}
	checkSection(t, sectionCodes, renderCodes(results, &real))
}

// checkObs fails the test when got is not exactly want, showing both.
func checkObs(t *testing.T, got, want obs) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	var b strings.Builder
	b.WriteString("the client observed:\n")
	for _, s := range got.Steps {
		fmt.Fprintf(&b, "\t%s\n", formatStep(s))
	}
	fmt.Fprintf(&b, "\tafter: %s\nwant:\n", got.After)
	for _, s := range want.Steps {
		fmt.Fprintf(&b, "\t%s\n", formatStep(s))
	}
	fmt.Fprintf(&b, "\tafter: %s", want.After)
	t.Error(b.String())
}

// faultCase is one socket fault on the control or the data connection.
type faultCase struct {
	Conn    string // "control" or "data"
	Fault   string // reset, close, stall, refuse, garbage
	Context string
	// Rule is the scenario rule (YAML flow style) that provokes the fault;
	// "{{PORT}}" stands for a loopback port nobody listens on, picked at run time.
	Rule string
	Run  action
	Want obs
}

func (f faultCase) key() string { return "fault: " + f.Conn + ": " + f.Context }

// unusedPort is where the fault cases' {{PORT}} shows in the observations.
const unusedPort = "{{PORT}}"

var faultCases = []faultCase{
	// control connection
	{"control", "refuse", "Dial to a port nobody listens on", "",
		dialUnusedPort,
		want(noClient, st("Dial", connRefused))},
	{"control", "reset", "greeting: reset instead of 220", `{when: {event: connect}, then: reset}`,
		dialed(),
		want(noClient, st("Dial", connReset))},
	{"control", "close", "greeting: close without a reply", `{when: {event: connect}, then: close}`,
		dialed(),
		want(noClient, st("Dial", eof))},
	{"control", "stall", "greeting: no reply (client deadline 500ms)", `{when: {event: connect}, then: stall}`,
		session(dialOpt{timeout: shortDeadline}, false),
		want(noClient, st("Dial", deadline))},
	{"control", "reset", "NOOP gets no reply (reset)", `{when: {command: NOOP}, then: reset}`,
		loggedIn(doNoOp),
		want(closed, st("NoOp", connReset))},
	{"control", "close", "NOOP gets no reply (close)", `{when: {command: NOOP}, then: close}`,
		loggedIn(doNoOp),
		want(closed, st("NoOp", eof))},
	{"control", "stall", "NOOP gets no reply (stall; client deadline 500ms)", `{when: {command: NOOP}, then: stall}`,
		loggedIn(doHurry, doNoOp),
		want(stalled, st("NoOp", deadline))},
	{"control", "close", "NOOP gets half a multi-line reply, then a close", `{when: {command: NOOP}, reply: {raw: "211-Status follows\r\n"}, then: close}`,
		loggedIn(doNoOp),
		want(closed, st("NoOp", eof))},
	{"control", "garbage", "NOOP gets a line that is not a reply", `{when: {command: NOOP}, reply: {raw: "OK\r\n"}}`,
		loggedIn(doNoOp),
		want(usable, st("NoOp", protoErr(`short response: "OK"`)))},

	// data connection
	{"data", "refuse", "EPSV names a port nobody listens on", `{when: {command: EPSV}, data: {advertise_port: {{PORT}}}}`,
		loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", connRefused, "dialed 127.0.0.1:"+unusedPort))},
	{"data", "refuse", "PASV names a port nobody listens on (EPSV disabled)", `{when: {command: PASV}, data: {advertise_port: {{PORT}}}}`,
		session(noEPSV, true, doRetr(file, 0, 0)),
		want(usable, st("Retr", connRefused, "dialed 127.0.0.1:"+unusedPort))},
	{"data", "refuse", "RETR: data connection accepted and closed at once", `{when: {command: RETR}, data: {refuse: close}}`,
		loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", replyErr(425, deflt(425))))},
	{"data", "refuse", "RETR: data connection never served (client deadline 500ms)", `{when: {command: RETR}, data: {refuse: ignore}}`,
		loggedIn(doHurry, doRetr(file, 0, shortDeadline)),
		want(stalled, st("Retr", deadline))},
	{"data", "refuse", "RETR: 425 instead of opening the data connection", `{when: {command: RETR}, data: {refuse: "425"}}`,
		loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", replyErr(425, deflt(425))))},
	{"data", "reset", "RETR: reset after 5 bytes", `{when: {command: RETR}, data: {after: 5, end: reset, reply: "426 Connection reset; transfer aborted."}}`,
		loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", okay), st("io.ReadAll", connReset, bytesGot(fileText[:5])), st("Close", replyErr(426, "Connection reset; transfer aborted.")))},
	{"data", "close", "RETR: closed after 5 bytes", `{when: {command: RETR}, data: {after: 5, end: close, reply: "426 Connection closed; transfer aborted."}}`,
		loggedIn(doRetr(file, 0, 0)),
		want(usable, st("Retr", okay), st("io.ReadAll", okay, bytesGot(fileText[:5])), st("Close", replyErr(426, "Connection closed; transfer aborted.")))},
	{"data", "stall", "RETR stalls after 5 bytes (read deadline and DialWithShutTimeout 500ms)", `{when: {command: RETR}, data: {after: 5, end: stall}}`,
		session(dialOpt{shut: true}, true, doRetr(file, 0, shortDeadline)),
		want(stalled, st("Retr", okay), st("io.ReadAll", deadline, bytesGot(fileText[:5])), st("Close", deadline))},
	{"data", "reset", "STOR: reset after 5 bytes", `{when: {command: STOR}, data: {after: 5, end: reset, reply: "426 Connection reset; transfer aborted."}}`,
		loggedIn(doStor("/up.txt", "hello, world\n")),
		want(usable, st("Stor", replyErr(426, "Connection reset; transfer aborted."), `server has /up.txt: "hello"`))},
}

// dialUnusedPort dials a loopback port nobody listens on.
func dialUnusedPort(t *testing.T, _ *ftptest.Server) obs {
	d := newDialer(t, tc.Timeout)
	_, err := ftp.Dial("127.0.0.1:"+freePort(t), ftp.DialWithDialFunc(d.dial))
	return want(noClient, st("Dial", classify(err)))
}

// freePort returns a loopback port nobody listens on and nobody can take
// until the test ends: the local port of a connection the test holds
// open. A connection to it is refused (no socket listens there), and the
// system gives it to no other listener (a socket is bound to it).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	_, port, _ := net.SplitHostPort(c.LocalAddr().String())
	return port
}

// faultScenario is the scenario of a fault case: the download file and the rule.
func faultScenario(rule string) string {
	s := "version: 1\nname: socket-fault\nfiles:\n  - {path: /pub/file.txt, content: \"hello, world\\n\"}\n"
	if rule != "" {
		s += "rules:\n  - " + rule + "\n"
	}
	return s
}

// TestSocketFaults provokes each socket fault on the control and the data
// connection and checks exactly which error jlaffaye/ftp reports, then
// checks (or with -update writes) its section of docs/client-behaviour.md.
func TestSocketFaults(t *testing.T) {
	t.Run("notes", testNotes)
	t.Run("shared fault list", testFaultCoverage)
	var mu sync.Mutex
	results := map[string]obs{}
	var real realResults
	t.Run("cases", func(t *testing.T) {
		t.Run("real clients", func(t *testing.T) {
			t.Parallel()
			runRealClients(t, faultTasks, func(t *testing.T, key string, mode rc.Mode) (string, *ftptest.Server) {
				port := freePort(t)
				f := faultCaseByKey(t, key)
				if f.Rule == "" { // nothing listens
					return "127.0.0.1:" + port, nil
				}
				srv := realServer(t, mode, ftptest.WithScenarioText(faultScenario(strings.ReplaceAll(f.Rule, unusedPort, port))))
				return srv.Addr(), srv
			}, &real)
		})
		for _, f := range faultCases {
			t.Run(f.Conn+"/"+f.Context, func(t *testing.T) {
				t.Parallel()
				port := freePort(t)
				srv := ftptest.New(t, ftptest.WithScenarioText(faultScenario(strings.ReplaceAll(f.Rule, unusedPort, port))))
				got := f.Run(t, srv)
				for i := range got.Steps {
					got.Steps[i].Got = strings.ReplaceAll(got.Steps[i].Got, ":"+port, ":"+unusedPort)
				}
				mu.Lock()
				results[f.key()] = got
				mu.Unlock()
				checkObs(t, got, f.Want)
			})
		}
	})
	if t.Failed() {
		return
	}
	if len(results) != len(faultCases) {
		t.Logf("ran %d of %d cases: the matrix is neither checked nor written", len(results), len(faultCases))
		return
	}
	if !real.complete(slices.Collect(maps.Keys(faultTasks))) {
		t.Logf("the real clients did not all run (see the skipped tests): the matrix is neither checked nor written")
		return
	}
	checkSection(t, sectionFaults, renderFaults(results, &real))
}

// faultCaseByKey finds a fault case.
func faultCaseByKey(t *testing.T, key string) faultCase {
	t.Helper()
	for _, f := range faultCases {
		if f.key() == key {
			return f
		}
	}
	t.Fatalf("no fault case %q", key)
	return faultCase{}
}
