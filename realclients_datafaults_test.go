package mockftpd_test

// Data-channel choreography with curl, lftp and Python ftplib in every
// mode (passive and active, plain, explicit and implicit FTPS): the
// scripted 1xx, then a data connection closed or reset before a byte
// moves (issue 13.4), and a transfer's bytes given by the scenario
// (data.content, issue 17).

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	rc "github.com/mockftpd/mockftpd/internal/realclient"
	"github.com/mockftpd/mockftpd/journal"
)

// What a zero-byte case does: the operation each client runs, and what
// the server's journal must show for its transfer command.
type zeroByteCase struct {
	rule   string
	op     string // retr, stor or list
	verb   string // the journal entry checked
	codes  []int
	end    string
	lftpOK bool // lftp may retry (the rule fires once) and then succeed
}

var zeroByteCases = map[string]zeroByteCase{
	"after 0, close": {rule: "{when: {command: RETR}, data: {after: 0}}",
		op: "retr", verb: "RETR", codes: []int{150, 426}, end: "cut"},
	"after 0, reset, own 1xx": {rule: `{when: {command: RETR}, preliminary: "125 Data connection open", data: {after: 0, end: reset, reply: "451 Transfer aborted"}}`,
		op: "retr", verb: "RETR", codes: []int{125, 451}, end: "reset"},
	"after 0, reset, upload": {rule: "{when: {command: STOR}, data: {after: 0, end: reset}}",
		op: "stor", verb: "STOR", codes: []int{150, 426}, end: "reset"},
	"after 0, close, listing": {rule: "{when: {command: [LIST, NLST, MLSD]}, data: {after: 0}}",
		op: "list", verb: "LIST", codes: []int{150, 426}, end: "cut"},
	// what the recorder writes for a server that says 150, then refuses
	// the data connection (a TLS session not resumed): the 150 comes first
	"150, then refused (close)": {rule: `{when: {command: RETR}, times: 1, pass: true, preliminary: "150 Opening data connection", data: {refuse: close, reply: "522 Data connection must be protected"}}`,
		op: "retr", verb: "RETR", codes: []int{150, 522}, end: "refused", lftpOK: true},
	"150, then refused (reset)": {rule: `{when: {command: RETR}, times: 1, preliminary: "150 Opening data connection", data: {refuse: reset}}`,
		op: "retr", verb: "RETR", codes: []int{150, 425}, end: "refused", lftpOK: true},
	"refused (reset)": {rule: "{when: {command: RETR}, times: 1, data: {refuse: reset}}",
		op: "retr", verb: "RETR", codes: []int{425}, end: "refused", lftpOK: true},
}

const zeroByteFiles = `files: [{path: /f.txt, content: "hello\n"}, {path: /d/a.txt, content: x}]
`

// zeroByteRun runs op with client c and reports whether the client
// completed it without an error.
func zeroByteRun(t *testing.T, s rc.Session, c rc.Client, op string) (bool, string) {
	switch c {
	case rc.Curl:
		var r rc.CurlResult
		switch op {
		case "stor":
			r = s.Curl(t, "/up.txt", "-T", "up.txt")
		case "list":
			r = s.Curl(t, "/d/")
		default:
			r = s.Curl(t, "/f.txt")
		}
		return r.Code == 0, r.Observed() + "\n" + r.Result.String()
	case rc.LFTP:
		var r rc.LFTPResult
		switch op {
		case "stor":
			r = s.LFTP(t, "put up.txt -o /up.txt")
		case "list":
			r = s.LFTP(t, "cls -1 /d")
		default:
			r = s.LFTP(t, "get /f.txt -o got.txt")
		}
		return r.Exit == 0, r.Observed() + "\n" + r.Result.String()
	}
	st := map[string]rc.Step{"stor": {Op: "stor", Path: "/up.txt", Data: "upload\n"}, "list": {Op: "list", Path: "/d"},
		"retr": {Op: "retr", Path: "/f.txt"}}[op]
	r := s.Ftplib(t, s.FtplibLogin(st)...)
	last := r.Steps[len(r.Steps)-1]
	return last.OK, last.Step.String() + " → " + last.Observed() + "\n" + r.Result.String()
}

// waitSessionsEnded waits until every session the journal shows has
// ended: its entries are complete then.
func waitSessionsEnded(t *testing.T, srv *ftptest.Server) {
	t.Helper()
	seen := map[int]bool{}
	for _, e := range srv.Journal() {
		seen[e.Session] = true
	}
	for n := range seen {
		if _, err := srv.WaitSessionEnd(n, rc.DefaultTimeout); err != nil {
			t.Fatal(err)
		}
	}
}

// firstEntry is the journal's first entry of verb.
func firstEntry(srv *ftptest.Server, verb string) (journal.Entry, bool) {
	for _, e := range srv.Journal() {
		if e.Command == verb {
			return e, true
		}
	}
	return journal.Entry{}, false
}

// skipCurlActiveFTPS skips what curl 7.87 and 7.88 cannot do.
func skipCurlActiveFTPS(t *testing.T, c rc.Client, mode rc.Mode) {
	t.Helper()
	if c == rc.Curl && mode.Active && mode.TLS != rc.Plain && curlCannotDoActiveFTPS() {
		t.Skipf("curl %s cannot do active FTPS (curl/curl#10666, fixed in 8.0)", rc.Version(rc.Curl))
	}
}

// TestRealClientsZeroByteData: each client gets the scripted 1xx, then
// a data connection that ends (FIN or RST) or is refused before a byte
// moves; it reports a failure, and the journal shows the choreography.
func TestRealClientsZeroByteData(t *testing.T) {
	t.Parallel()
	for name, zc := range zeroByteCases {
		for _, c := range rc.All {
			for _, mode := range rc.Modes() {
				t.Run(fmt.Sprintf("%s/%s/%s", name, c, mode), func(t *testing.T) {
					t.Parallel()
					rc.Require(t, c)
					skipCurlActiveFTPS(t, c, mode)
					srv := realServer(t, mode, ftptest.WithScenarioText("version: 1\n"+zeroByteFiles+"rules: ["+zc.rule+"]\n"))
					s := realSession(t, srv, mode, map[string]string{"up.txt": "upload\n"})
					ok, seen := zeroByteRun(t, s, c, zc.op)
					if ok && !(c == rc.LFTP && zc.lftpOK) {
						t.Fatalf("%s reported no error:\n%s\njournal:%s", c.Name(), seen, journalText(srv))
					}
					// the journal is complete once the sessions ended (curl
					// may hang up on the reset before the final reply)
					waitSessionsEnded(t, srv)
					e, found := firstEntry(srv, zc.verb)
					codes := zc.codes
					if found && len(e.Codes) == len(codes)-1 && c == rc.Curl {
						codes = codes[:len(codes)-1] // curl left before the final reply
					}
					if !found || !slices.Equal(e.Codes, codes) || e.Transfer == nil || e.Transfer.End != zc.end || e.Transfer.BytesOut != 0 || e.Transfer.BytesIn != 0 {
						t.Fatalf("want %s answered %v, transfer %s with no byte moved\n%s\njournal:%s", zc.verb, zc.codes, zc.end, seen, journalText(srv))
					}
				})
			}
		}
	}
}

// TestRealClientsDataContent: each client receives the scenario's bytes
// for a listing and a download, in every mode, whatever the file holds
// (or whether it exists).
func TestRealClientsDataContent(t *testing.T) {
	t.Parallel()
	const listing = "-rw-r--r--   1 ftp      ftp             5 Jan 01  2024 weird  name.txt\r\ndrwxr-xr-x   2 ftp      ftp          4096 Jan 01  2024 sub\r\n"
	const download = "scripted bytes\r\nnot in any file\n"
	scenario := "version: 1\n" + zeroByteFiles + fmt.Sprintf("rules:\n  - {when: {command: LIST}, data: {content: %q}}\n  - {when: {command: RETR}, data: {content: %q}}\n", listing, download)
	for _, c := range rc.All {
		for _, mode := range rc.Modes() {
			t.Run(fmt.Sprintf("%s/%s", c, mode), func(t *testing.T) {
				t.Parallel()
				rc.Require(t, c)
				skipCurlActiveFTPS(t, c, mode)
				srv := realServer(t, mode, ftptest.WithScenarioText(scenario))
				s := realSession(t, srv, mode, nil)
				var gotList, gotFile, seen string
				switch c {
				case rc.Curl:
					r := s.Curl(t, "/d/")
					gotList, seen = r.Stdout, r.Observed()
					// the file does not exist: curl must not ask its SIZE first
					r = s.Curl(t, "/scripted.bin", "--ignore-content-length")
					gotFile, seen = r.Stdout, seen+" / "+r.Observed()
				case rc.LFTP:
					r := s.LFTP(t, "ls /d", "get /scripted.bin -o got.bin")
					gotList, seen = r.Stdout, r.Observed()
					gotFile = localFile(t, s, "got.bin")
				case rc.Ftplib:
					r := s.Ftplib(t, s.FtplibLogin(rc.Step{Op: "list", Path: "/d"}, rc.Step{Op: "retr", Path: "/scripted.bin"})...)
					n := len(r.Steps)
					wantStep(t, srv, r, n-2, `list /d → ok: 226 Closing transfer connection; ["weird  name.txt","sub"]`)
					wantStep(t, srv, r, n-1, fmt.Sprintf("retr /scripted.bin → ok: 226 Closing transfer connection; %d bytes %q", len(download), download))
					return
				}
				// curl and lftp print a listing with the server's line ends turned to LF
				if want := strings.ReplaceAll(listing, "\r\n", "\n"); gotList != want {
					t.Fatalf("%s listed %q, want %q (%s)\njournal:%s", c.Name(), gotList, want, seen, journalText(srv))
				}
				if gotFile != download {
					t.Fatalf("%s downloaded %q, want %q (%s)\njournal:%s", c.Name(), gotFile, download, seen, journalText(srv))
				}
			})
		}
	}
}
