package mockftpd_test

// The curl, Python ftplib and lftp columns of the client-behaviour
// matrix (docs/client-behaviour.md): for every scenario under
// scenarios/codes and every socket fault, the same operation done by each
// real client the way its users do it, and what each observed, in a form
// that does not change from run to run.

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
)

// realTask is what curl, lftp and Python ftplib do in one case of the
// matrix: one operation, each client driven the way its users drive it.
type realTask struct {
	Mode    rc.Mode           // how the clients connect (explicit FTPS for the AUTH and PROT cases)
	Timeout time.Duration     // the clients' network timeout; 0 is matrixTimeout
	Files   map[string]string // local files (uploads, resumed downloads)
	Curl    []string          // curl's arguments, the URL's path last
	LFTP    []string          // lftp's commands
	Ftplib  []rc.Step         // ftplib's calls after the session's opening
	Quit    bool              // ftplib's calls end the session: no probe after them
	Output  bool              // show what curl and lftp downloaded
}

// Local file names of the tasks.
const (
	localUpload   = "upload"
	localDownload = "download"
)

func taskDownload(path string) realTask {
	return realTask{Curl: []string{path}, LFTP: []string{"get " + path + " -o " + localDownload},
		Ftplib: []rc.Step{{Op: "retr", Path: path}}, Output: true}
}

// taskDownloadFrom resumes a download at offset: the client holds the
// first offset bytes already (lftp resumes from its local file's size).
func taskDownloadFrom(path string, offset int) realTask {
	return realTask{Curl: []string{"-C", fmt.Sprint(offset), path},
		Files:  map[string]string{localDownload: strings.Repeat("x", offset)},
		LFTP:   []string{"get -c " + path + " -o " + localDownload},
		Ftplib: []rc.Step{{Op: "retr", Path: path, Rest: int64(offset)}}, Output: true}
}

// taskDownloadPASV downloads over PASV: curl is the one client that tries
// EPSV first.
func taskDownloadPASV(path string) realTask {
	t := taskDownload(path)
	t.Curl = append([]string{"--disable-epsv"}, t.Curl...)
	return t
}

// taskDownloadUnseeded downloads a file the scenario does not have, whose
// RETR it scripts: curl asks for the size first and would stop at the 550
// to SIZE, unless told not to ask.
func taskDownloadUnseeded(path string) realTask {
	t := taskDownload(path)
	t.Curl = append([]string{"--ignore-content-length"}, t.Curl...)
	return t
}

func taskUpload(path, content string) realTask {
	return realTask{Curl: []string{"-T", localUpload, path}, Files: map[string]string{localUpload: content},
		LFTP: []string{"put " + localUpload + " -o " + path}, Ftplib: []rc.Step{{Op: "stor", Path: path, Data: content}}}
}

// taskAppend appends more to the file at path, which holds has: lftp has
// no append, it resumes the upload of the whole local file (put -c).
func taskAppend(path, has, more string) realTask {
	return realTask{Curl: []string{"--append", "-T", localUpload, path},
		Files: map[string]string{localUpload: more, "whole": has + more},
		LFTP:  []string{"put -c whole -o " + path}, Ftplib: []rc.Step{{Op: "appe", Path: path, Data: more}}}
}

// taskCwdList changes into dir, then lists it.
func taskCwdList(dir string) realTask {
	return realTask{Curl: []string{"--list-only", dir + "/"}, LFTP: []string{"cd " + dir, "cls -1"},
		Ftplib: []rc.Step{{Op: "cwd", Path: dir}, {Op: "list"}}}
}

func taskMkd(path string) realTask {
	return realTask{Curl: []string{"-I", "-Q", "MKD " + path, "/"}, LFTP: []string{"mkdir " + path},
		Ftplib: []rc.Step{{Op: "mkd", Path: path}}}
}

func taskDele(path string) realTask {
	return realTask{Curl: []string{"-I", "-Q", "DELE " + path, "/"}, LFTP: []string{"rm " + path},
		Ftplib: []rc.Step{{Op: "dele", Path: path}}}
}

func taskRename(from, to string) realTask {
	return realTask{Curl: []string{"-I", "-Q", "RNFR " + from, "-Q", "RNTO " + to, "/"}, LFTP: []string{"mv " + from + " " + to},
		Ftplib: []rc.Step{{Op: "rename", Path: from, To: to}}}
}

// taskSize asks for a file's size: curl -I reads it with SIZE (and
// MDTM), lftp has no command for it but quote.
func taskSize(path string) realTask {
	return realTask{Curl: []string{"-I", path}, LFTP: []string{"quote SIZE " + path},
		Ftplib: []rc.Step{{Op: "size", Path: path}}}
}

// taskQuote sends commands as they are: curl -Q (before its transfer;
// -I: none), lftp quote, ftplib sendcmd.
func taskQuote(cmds ...string) realTask {
	t := realTask{Curl: []string{"-I"}}
	for _, c := range cmds {
		t.Curl = append(t.Curl, "-Q", c)
		t.LFTP = append(t.LFTP, "quote "+c)
		t.Ftplib = append(t.Ftplib, rc.Step{Op: "sendcmd", Line: c})
	}
	t.Curl = append(t.Curl, "/")
	return t
}

// taskNoop sends NOOP: ftplib users call voidcmd("NOOP"), which wants a 2xx.
func taskNoop() realTask {
	t := taskQuote("NOOP")
	t.Ftplib = []rc.Step{{Op: "noop"}}
	return t
}

// taskLogin logs in and does nothing else: curl -I (no transfer), lftp
// quote NOOP (lftp connects at its first command), ftplib's opening.
func taskLogin() realTask {
	return realTask{Curl: []string{"-I", "/"}, LFTP: []string{"quote NOOP"}}
}

// taskLoginTLS logs in with explicit FTPS (AUTH TLS, PBSZ, PROT).
func taskLoginTLS() realTask {
	t := taskLogin()
	t.Mode = rc.Mode{TLS: rc.Explicit}
	return t
}

// taskPWD logs in and reads the working directory (curl and lftp send
// PWD right after logging in).
func taskPWD() realTask {
	t := taskLogin()
	t.Ftplib = []rc.Step{{Op: "pwd"}}
	return t
}

// taskQuit logs in and quits (curl and lftp quit when done).
func taskQuit() realTask {
	t := taskLogin()
	t.Ftplib, t.Quit = []rc.Step{{Op: "quit"}}, true
	return t
}

// withTimeout sets the clients' network timeout, for the stalls.
func (t realTask) withTimeout(d time.Duration) realTask { t.Timeout = d; return t }

// Payloads and paths of the tasks. Scenarios that seed no file answer
// RETR or SIZE for any path: the clients ask for a file at the root, so
// that curl (which changes into each directory first) sends them too.
const (
	upText   = "hello"
	rootFile = "/file.txt"
)

// codeTasks holds the task of each scenario under scenarios/codes.
var codeTasks = map[string]realTask{
	"110-noop":       taskNoop(),
	"110-rest-retr":  taskDownloadFrom(file, 5),
	"120-greeting":   taskLogin(),
	"120-noop":       taskNoop(),
	"125-mkd":        taskMkd("/new"),
	"125-retr":       taskDownload(file),
	"150-426-retr":   taskDownload(file),
	"150-noop":       taskNoop(),
	"150-retr":       taskDownload(file),
	"200-noop":       taskNoop(),
	"200-stor":       taskUpload("/up.txt", upText),
	"202-allo":       taskQuote("ALLO 1048576"),
	"202-noop":       taskNoop(),
	"202-opts":       taskLogin(),
	"211-feat":       taskLogin(),
	"211-noop":       taskNoop(),
	"212-cwd":        taskCwdList("/pub"),
	"212-stat":       taskQuote("STAT /pub"),
	"213-dele":       taskDele(file),
	"213-size":       taskSize(rootFile),
	"214-help":       taskQuote("HELP"),
	"214-noop":       taskNoop(),
	"215-noop":       taskNoop(),
	"215-syst":       taskQuote("SYST"),
	"220-greeting":   taskLogin(),
	"220-rein":       taskQuote("REIN"),
	"220-user":       taskLogin(),
	"221-noop":       taskNoop(),
	"221-quit":       taskQuit(),
	"225-abor":       taskQuote("ABOR"),
	"225-retr":       taskDownload(file),
	"226-abor":       taskQuote("ABOR"),
	"226-retr-first": taskDownloadUnseeded(rootFile),
	"226-retr":       taskDownload(file),
	"227-epsv":       taskDownload(file),
	"227-pasv":       taskDownloadPASV(file),
	"228-lpsv":       taskQuote("LPSV"),
	"228-pasv":       taskDownloadPASV(file),
	"229-epsv":       taskDownload(file),
	"229-pasv":       taskDownloadPASV(file),
	"230-cwd":        taskCwdList("/pub"),
	"230-pass":       taskLogin(),
	"230-user":       taskLogin(),
	"232-pass":       taskLogin(),
	"232-user":       taskLogin(),
	"234-auth":       taskLoginTLS(),
	"234-noop":       taskNoop(),
	"235-adat":       taskQuote("AUTH GSSAPI", "ADAT YIIBBgYJKoZIhvcSAQICAQA="),
	"235-pass":       taskLogin(),
	"250-cwd":        taskCwdList("/pub"),
	"250-mkd":        taskMkd("/new"),
	"250-retr":       taskDownload(file),
	"257-cwd":        taskCwdList("/pub"),
	"257-pwd":        taskPWD(),
	"331-pass":       taskLogin(),
	"331-user":       taskLogin(),
	"332-pass":       taskLogin(),
	"332-retr":       taskDownloadUnseeded(rootFile),
	"334-auth":       taskLoginTLS(),
	"334-user":       taskLogin(),
	"336-noop":       taskNoop(),
	"336-user":       taskLogin(),
	"350-cwd":        taskCwdList("/pub"),
	"350-rest":       taskDownloadFrom(file, 5),
	"350-rnfr":       taskRename("/docs/draft.txt", "/docs/final.txt"),
	"421-greeting":   taskLogin(),
	"421-noop":       taskNoop(),
	"421-user":       taskLogin(),
	"425-retr":       taskDownloadUnseeded(rootFile),
	"426-retr":       taskDownload(file),
	"430-pass":       taskLogin(),
	"431-auth":       taskLoginTLS(),
	"434-host":       taskQuote("HOST ftp.example.com"),
	"450-retr":       taskDownload(file),
	"451-stor":       taskUpload("/up.txt", upText),
	"452-stor":       taskUpload("/up.txt", upText),
	"500-opts":       taskLogin(),
	"501-cwd":        taskCwdList("/pub"),
	"501-opts":       taskLogin(),
	"502-epsv":       taskDownload(file),
	"503-rnto":       taskRename("/docs/draft.txt", "/docs/final.txt"),
	"504-opts":       taskLogin(),
	"504-type":       taskDownload(rootFile),
	"530-pass":       taskLogin(),
	"530-user":       taskLogin(),
	"532-stor":       taskUpload("/up.txt", upText),
	"533-prot":       taskLoginTLS(),
	"534-auth":       taskLoginTLS(),
	"535-adat":       taskQuote("AUTH GSSAPI", "ADAT YIIBBgYJKoZIhvcSAQICAQA="),
	"536-prot":       taskLoginTLS(),
	"537-mic":        taskQuote("MIC Tk9PUA=="),
	"550-retr":       taskDownload("/missing.txt"),
	"551-stor":       taskUpload("/up.txt", upText),
	"552-appe":       taskAppend("/logs/app.log", "line 1\n", "line 2\n"),
	"553-mkd":        taskMkd("/bad:name"),
	"631-mic":        taskQuote("MIC Tk9PUA=="),
	"631-noop":       taskNoop(),
	"632-enc":        taskQuote("ENC Tk9PUA=="),
	"632-pwd":        taskPWD(),
	"633-conf":       taskQuote("CONF Tk9PUA=="),
	"633-cwd":        taskCwdList("/pub"),
}

// The clients' network timeout in the matrix (its scenarios delay no
// reply by more than a second), and in the stall cases; a client still
// running matrixGrace after its timeout is killed: it hangs.
const (
	matrixTimeout = 5 * time.Second
	stallTimeout  = time.Second
	matrixGrace   = 4 * time.Second
)

// faultTasks holds the task of each socket-fault case, by its key.
var faultTasks = map[string]realTask{
	"fault: control: Dial to a port nobody listens on":                                     taskLogin(),
	"fault: control: greeting: reset instead of 220":                                       taskLogin(),
	"fault: control: greeting: close without a reply":                                      taskLogin(),
	"fault: control: greeting: no reply (client deadline 500ms)":                           taskLogin().withTimeout(stallTimeout),
	"fault: control: NOOP gets no reply (reset)":                                           taskNoop(),
	"fault: control: NOOP gets no reply (close)":                                           taskNoop(),
	"fault: control: NOOP gets no reply (stall; client deadline 500ms)":                    taskNoop().withTimeout(stallTimeout),
	"fault: control: NOOP gets half a multi-line reply, then a close":                      taskNoop(),
	"fault: control: NOOP gets a line that is not a reply":                                 taskNoop(),
	"fault: data: EPSV names a port nobody listens on":                                     taskDownload(file),
	"fault: data: PASV names a port nobody listens on (EPSV disabled)":                     taskDownloadPASV(file),
	"fault: data: RETR: data connection accepted and closed at once":                       taskDownload(file),
	"fault: data: RETR: data connection never served (client deadline 500ms)":              taskDownload(file).withTimeout(stallTimeout),
	"fault: data: RETR: 425 instead of opening the data connection":                        taskDownload(file),
	"fault: data: RETR: reset after 5 bytes":                                               taskDownload(file),
	"fault: data: RETR: closed after 5 bytes":                                              taskDownload(file),
	"fault: data: RETR stalls after 5 bytes (read deadline and DialWithShutTimeout 500ms)": taskDownload(file).withTimeout(stallTimeout),
	"fault: data: STOR: reset after 5 bytes":                                               taskUpload("/up.txt", fileText),
}

// timingDependent lists the cases where what a client observes depends
// on timing, with every outcome seen: the matrix shows them all, and an
// outcome not listed fails the test.
var timingDependent = map[string]map[rc.Client][]string{
	// lftp reads the end of the connection before the 221 in it, then
	// either exits or hangs in quote.
	"221-noop": {rc.LFTP: {
		"`quote NOOP` → exit 0",
		"`quote NOOP` → no exit: hangs (killed at the time limit)",
	}},
	// When a download is cut, lftp either resumes it (REST) until it has
	// the whole file, or gives up: it counts the attempt as progress or
	// not depending on whether it read the bytes before the 426 or the
	// reset (which discards what the client had not read yet).
	"150-426-retr": {rc.LFTP: lftpCutDownload},
	"426-retr":     {rc.LFTP: lftpCutDownload},
	"fault: data: RETR: closed after 5 bytes": {rc.LFTP: lftpCutDownload},
	"fault: data: RETR: reset after 5 bytes":  {rc.LFTP: lftpCutDownload},
	// The reset comes before or after the client's connect completed;
	// lftp names it as the reason it gave up, or does not.
	"fault: control: greeting: reset instead of 220": {
		rc.Curl: {
			"`curl -I ftp://HOST/` → exit 7: Failed to connect to 127.0.0.1 port {port} after N ms: Couldn't connect to server",
			"`curl -I ftp://HOST/` → exit 56: Recv failure: Connection reset by peer",
		},
		rc.LFTP: {
			"`quote NOOP` → exit 1: quote: NOOP: Fatal error: max-retries exceeded",
			"`quote NOOP` → exit 1: quote: NOOP: Fatal error: max-retries exceeded (Connection reset by peer)",
		},
	},
}

// lftpCutDownload is what lftp does with a download cut short.
var lftpCutDownload = []string{
	"`get /pub/file.txt -o download` → exit 0; download: 13 bytes \"hello, world\\n\"",
	"`get /pub/file.txt -o download` → exit 1: get: /pub/file.txt: Fatal error: max-retries exceeded",
}

// realNotes are what a user of curl, ftplib or lftp should know, with the
// cases that show it (keys of code or fault cases).
var realNotes = []note{
	{"A 120 before the 220: curl gives up (exit 8); ftplib takes the 120 for the greeting, then reads the 220 as the reply to USER, so that every later call reads the reply to the call before; lftp waits for the 220.",
		[]string{"120 greeting: 120 then 220, jlaffaye/ftp Dial"}},
	{"curl takes any 421, to the greeting, to USER or to a command, for a timeout: exit 28, `Timeout was reached`.",
		[]string{"421 greeting, then a close", "421 USER, sent by Login, then a close", "421 NOOP, then a close"}},
	{"curl wants 226 (or 250) at the end of a transfer: a 200, 225 or 426 fails with exit 18, `server did not report OK, got N`, even when every byte arrived. ftplib and lftp take any 2xx (ftplib returns it).",
		[]string{"200 end of STOR: 200 instead of 226", "225 end of RETR: 225 instead of 226", "250 end of RETR: 250 instead of 226", "426 RETR: 150 and the whole file, then 426"}},
	{"curl's -Q fails only on a 4xx or 5xx (exit 21, `QUOT command failed with N`): a 1xx, 2xx, 3xx or 6xx passes.",
		[]string{"110 NOOP", "631 NOOP", "434 HOST (jlaffaye/ftp has no HOST call: net/textproto)", "537 MIC (jlaffaye/ftp has no MIC call: net/textproto)"}},
	{"ftplib raises error_reply for a 1xx or 3xx where it wants a 2xx, and reads nothing more: a 150 then 200 to NOOP leaves the 200 for the next call (pwd() then returns \"\"). A 6xx (RFC 2228 protected reply) raises error_proto.",
		[]string{"150 NOOP: 150, then 200", "125 MKD", "350 CWD", "631 NOOP", "632 PWD"}},
	{"lftp takes a 4xx for a transient error: it retries up to net:max-retries, then says only `Fatal error: max-retries exceeded` (with the last reply in parentheses, or not); a 5xx is reported with its text (`Access failed: 550 ...`). A download cut short it resumes with REST on its own, or gives up, depending on timing.",
		[]string{"450 RETR once, then a retry", "452 STOR once, then a retry", "550 RETR", "426 RETR: data closed after 5 bytes, then 426"}},
	{"lftp's quote waits for ever after a 1xx, and may wait for ever when the server closes the connection after its reply (421, 221): a script using quote hangs.",
		[]string{"110 NOOP", "120 NOOP", "421 NOOP, then a close", "221 NOOP, then a close"}},
	{"A refused PROT P (533, 536): curl --ssl-reqd gives up (exit 64), ftplib raises error_perm from prot_p(), lftp goes on.",
		[]string{"533 PROT P, sent by Login with DialWithExplicitTLS", "536 PROT P, sent by Login with DialWithExplicitTLS"}},
}

// realResults collects, for each case key, what each real client observed.
type realResults struct {
	mu   sync.Mutex
	cell map[string]map[rc.Client]string
}

func (r *realResults) put(key string, c rc.Client, cell string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cell == nil {
		r.cell = map[string]map[rc.Client]string{}
	}
	if r.cell[key] == nil {
		r.cell[key] = map[rc.Client]string{}
	}
	r.cell[key][c] = cell
}

// complete reports whether every key has a cell for every client.
func (r *realResults) complete(keys []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if len(r.cell[k]) != len(rc.All) {
			return false
		}
	}
	return true
}

func (r *realResults) get(key string, c rc.Client) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cell[key][c]
}

// runRealClients runs each task with each client, as parallel subtests
// named by key, each against a fresh server from newServer (given the
// task's mode), and collects what each client observed.
func runRealClients(t *testing.T, tasks map[string]realTask, newServer func(t *testing.T, key string, mode rc.Mode) (addr string, srv *ftptest.Server), out *realResults) {
	for _, key := range slices.Sorted(maps.Keys(tasks)) {
		task := tasks[key]
		for _, c := range rc.All {
			t.Run(key+"/"+string(c), func(t *testing.T) {
				t.Parallel()
				rc.Require(t, c)
				addr, srv := newServer(t, key, task.Mode)
				s := rc.Session{Addr: addr, Mode: task.Mode, Dir: t.TempDir()}
				if srv != nil {
					s = realSession(t, srv, task.Mode, task.Files)
				}
				s.Timeout = cmp.Or(task.Timeout, matrixTimeout)
				s.Limit = s.Timeout + matrixGrace
				got := task.run(t, c, s)
				if v, ok := timingDependent[key][c]; ok {
					if !slices.Contains(v, got) {
						t.Errorf("%s observed %q, none of the outcomes timingDependent lists for it:\n\t%s", c.Name(), got, strings.Join(v, "\n\t"))
					}
					got = strings.Join(v, "<br>or, by timing: ")
				}
				out.put(key, c, got)
			})
		}
	}
}

// run does the task with client c and renders what it observed.
func (task realTask) run(t *testing.T, c rc.Client, s rc.Session) string {
	switch c {
	case rc.Curl:
		r := s.Curl(t, task.Curl[len(task.Curl)-1], task.Curl[:len(task.Curl)-1]...)
		cell := "`" + task.curlLine() + "` → " + r.Observed()
		if task.Output {
			cell += "; " + received(r.Stdout)
		}
		return cell
	case rc.LFTP:
		r := s.LFTP(t, task.LFTP...)
		cell := "`" + strings.Join(task.LFTP, "; ") + "` → " + r.Observed()
		if task.Output && r.Exit == 0 { // (what a failed get leaves behind depends on timing)
			if b, err := readLocal(s, localDownload); err == nil && b != task.Files[localDownload] {
				cell += "; " + localDownload + ": " + received(b)
			}
		}
		return cell
	case rc.Ftplib:
		steps := s.FtplibLogin(task.Ftplib...)
		if !task.Quit {
			steps = append(steps, rc.Step{Op: "pwd"})
		}
		r := s.Ftplib(t, steps...)
		cell := renderFtplib(r, !task.Quit)
		if r.Killed {
			cell += "<br>no exit: hangs (killed at the time limit)"
		}
		return cell
	}
	t.Fatalf("unknown client %q", c)
	return ""
}

// curlLine is the task's curl command line as the matrix shows it: the
// arguments and the URL, without the options every run has.
func (task realTask) curlLine() string {
	args := slices.Clone(task.Curl[:len(task.Curl)-1])
	scheme := "ftp"
	if task.Mode.TLS == rc.Explicit {
		args = append([]string{"--ssl-reqd"}, args...)
	}
	for i, a := range args {
		if strings.ContainsAny(a, " ") {
			args[i] = "'" + a + "'"
		}
	}
	return strings.Join(append(append([]string{"curl"}, args...), scheme+"://HOST"+task.Curl[len(task.Curl)-1]), " ")
}

// received describes downloaded bytes.
func received(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%d bytes", len(s))
	}
	return fmt.Sprintf("%d bytes %q", len(s), s)
}

// routine is what the opening steps of every session observe; the matrix
// leaves them out.
var routine = map[string]bool{
	"connect → ok: 220 mockftpd ready":                           true,
	"auth → ok: 234 AUTH command ok. Expecting TLS Negotiation.": true,
	"login → ok: 230 Password ok, continue":                      true,
	"prot_p → ok: 200 OK":                                        true,
}

// connectionErrors are the exceptions of a connection that is gone.
// Which one a client gets once the server has closed depends on timing
// (did its next command reach the server before the close?), so the
// matrix names them together after the connection is known to be gone.
var connectionErrors = map[string]bool{
	"EOFError": true, "ConnectionResetError": true, "BrokenPipeError": true, "ConnectionAbortedError": true,
}

// connectionGone is how the matrix shows any of connectionErrors once
// the connection is known to be gone.
const connectionGone = "connection closed (EOFError, ConnectionResetError or BrokenPipeError)"

// renderFtplib renders an ftplib transcript: each call and what it gave,
// routine opening steps left out. The connection is known to be gone
// after a 421 or a 221 or a connection error; a later connection error
// shows as connectionGone, as does one in the probe (the last step, when
// probe is set), where a timeout shows as a stall.
func renderFtplib(r rc.FtplibResult, probe bool) string {
	var lines []string
	gone := false
	for i, s := range r.Steps {
		if i > 0 && r.Steps[i-1].Step.Op == "connect" && !r.Steps[i-1].OK {
			lines = append(lines, "(no session: the calls after connect are not shown)")
			break
		}
		obs := s.Observed()
		last := probe && i == len(r.Steps)-1
		switch {
		case s.Step.Op == "connect":
			gone = false
		case !s.OK && connectionErrors[s.Error] && (gone || last):
			obs = connectionGone
		case !s.OK && s.Error == "TimeoutError" && last:
			obs = "stalled (TimeoutError)"
		}
		if line := s.Step.String() + " → " + obs; !routine[line] {
			line = "`" + s.Step.String() + "` → " + obs
			if last {
				line = "then " + line
			}
			lines = append(lines, line)
		}
		if code := s.Code(); code == 421 || code == 221 || (!s.OK && (connectionErrors[s.Error] || s.Error == "TimeoutError")) {
			gone = true
		}
	}
	if len(lines) == 0 {
		return "(the opening went as in any session)"
	}
	return strings.Join(lines, "<br>")
}

// realHeader explains the real-client columns of the matrix.
func realHeader() string {
	timeout, stall, grace := seconds(matrixTimeout), seconds(stallTimeout), seconds(matrixGrace)
	return `The curl, Python ftplib and lftp columns show the same operation done by each client
the way its users do it, against a fresh server of the same scenario, in passive mode
(the AUTH and PROT rows: explicit FTPS):

- **curl**: one run of ` + "`curl -q --silent --show-error --user anonymous:guest@example.com --connect-timeout " + timeout + " --max-time " + timeout + "`" + `
  with the arguments shown (` + "`--ssl-reqd --insecure`" + ` for explicit FTPS); curl logs in, changes into each
  directory of the URL's path, works on its last part and quits. Then curl's exit code and its
  error message (` + "`curl: (N) message`" + `), and for downloads what it wrote. curl has no
  command for MKD, DELE, RNFR and RNTO: its users send them with ` + "`-Q`" + ` (before the transfer).
- **Python ftplib**: ` + "`connect`, `auth` and `prot_p`" + ` (explicit FTPS), ` + "`login`" + `, the calls shown, then
  ` + "`pwd()`" + ` to see whether the control connection is still usable; every socket has a ` + timeout + `s timeout.
  Each call with its result (` + "`ok:`" + ` and the reply or value) or the exception's class and message;
  calls that went as in any session (connect → 220 mockftpd ready, login → 230, auth → 234,
  prot_p → 200) are left out. Once the connection is known to be gone (after a 421, a 221 or a
  connection error), EOFError, ConnectionResetError and BrokenPipeError are shown together: which
  one comes depends on timing.
- **lftp**: one run of a script (` + "`set cmd:fail-exit yes; set net:max-retries 1; set net:timeout " + timeout + ";`" + `
  ` + "`set ftp:ssl-allow no`" + `, or ` + "`ftp:ssl-force yes`" + ` and ` + "`ssl:verify-certificate no`" + ` for explicit FTPS; ` + "`open`" + `; the
  commands shown). Then lftp's exit status and its error lines, and for downloads what it wrote
  (a resumed download starts from a local file of as many ` + "`x`" + ` as the offset). lftp has no
  append: it resumes an upload with ` + "`put -c`" + ` (REST and STOR).

The stall cases give every client a ` + stall + `s network timeout. A client still running ` + grace + `s after
its timeout is killed: it hangs. Ports and durations measured by the clients show as ` + "`{port}`" + `
and ` + "`N`" + `. A cell with ` + "`or, by timing:`" + ` lists every outcome seen in that case: which one a run
gets depends on timing (the tests fail on any other).

`
}

// seconds formats a duration in whole or decimal seconds: "5", "0.5".
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// realVersions names the real clients with their versions, for the title.
func realVersions() string {
	var parts []string
	for _, c := range rc.All {
		if c == rc.Ftplib {
			parts = append(parts, fmt.Sprintf("Python %s ftplib", rc.Version(c)))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s", c.Name(), rc.Version(c)))
	}
	return strings.Join(parts, ", ")
}

// realCells renders the real clients' cells of one row.
func realCells(r *realResults, key string) string {
	var cells []string
	for _, c := range rc.All {
		cells = append(cells, cell(r.get(key, c)))
	}
	return strings.Join(cells, " | ")
}

// testRealTasks checks that every scenario under scenarios/codes and
// every fault case has a real-client task, and no task is left over.
func testRealTasks(t *testing.T) {
	files := map[string]bool{}
	for _, c := range codeCases {
		files[c.File] = true
	}
	for f := range files {
		if _, ok := codeTasks[f]; !ok {
			t.Errorf("%s/%s.yaml has no real-client task in codeTasks", codesDir, f)
		}
	}
	for f := range codeTasks {
		if !files[f] {
			t.Errorf("codeTasks has a task for %s, which no case uses", f)
		}
	}
	keys := map[string]bool{}
	for _, f := range faultCases {
		keys[f.key()] = true
		if _, ok := faultTasks[f.key()]; !ok {
			t.Errorf("fault case %q has no real-client task in faultTasks", f.key())
		}
	}
	for k := range faultTasks {
		if !keys[k] {
			t.Errorf("faultTasks has a task for %q, which is no fault case", k)
		}
	}
}

// readLocal reads a file of the client's working directory.
func readLocal(s rc.Session, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, name))
	return string(b), err
}

// realColumns heads the real clients' columns.
func realColumns() string {
	var names []string
	for _, c := range rc.All {
		names = append(names, c.Name())
	}
	return strings.Join(names, " | ")
}
