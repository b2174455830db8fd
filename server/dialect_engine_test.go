package server_test

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// rawSession is one raw client of a dialect server: the replies it gets,
// code and text, one per line sent.
type rawExchange struct {
	line string
	code int
	text string // "" checks the code only
}

func runRaw(t *testing.T, srv *ftptest.Server, greeting string, steps []rawExchange) {
	t.Helper()
	c := rawDial(t, srv.Addr())
	if got := c.Expect(220); greeting != "" && got != greeting {
		t.Errorf("greeting %q, want %q", got, greeting)
	}
	for _, st := range steps {
		c.Send("%s", st.line)
		code, text, err := c.Read()
		if err != nil && code == 0 {
			t.Fatalf("%s: %v", st.line, err)
		}
		if code != st.code || (st.text != "" && text != st.text) {
			t.Errorf("%s: got %d %q, want %d %q", st.line, code, text, st.code, st.text)
		}
	}
}

func dialectServer(t *testing.T, name string, sc *scenario.Scenario) *ftptest.Server {
	t.Helper()
	opts := []ftptest.Option{ftptest.WithConfig(func(c *server.Config) { c.Dialect = name })}
	if sc != nil {
		opts = append(opts, ftptest.WithScenario(sc))
	}
	srv := ftptest.New(t, opts...)
	for p, body := range map[string]string{"/pub/a.txt": "one\ntwo\n", "/pub/sub/b": "b"} {
		if err := srv.WriteFile(p, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

// The engine answers in the dialect's words by outcome, success and
// failure, and the scenario's rules still win.
func TestDialectRepliesByOutcome(t *testing.T) {
	cases := map[string][]rawExchange{
		"vsftpd": {
			{"USER bob", 331, "Please specify the password."},
			{"PASS x", 230, "Login successful."},
			{"PWD", 257, `"/" is the current directory`},
			{"CWD /nope", 550, "Failed to change directory."},
			{"CWD /pub", 250, "Directory successfully changed."},
			{"TYPE I", 200, "Switching to Binary mode."},
			{"SIZE a.txt", 213, "8"},
			{"SIZE nope", 550, "Could not get file size."},
			{"MKD sub", 550, "Create directory operation failed."},
			{"MKD new", 257, `"/pub/new" created`},
			{"DELE nope", 550, "Delete operation failed."},
			{"RNTO x", 503, "RNFR required first."},
			{"XFOO", 500, "Unknown command."},
			{"MLSD", 500, "Unknown command."},
			{"TYPE A", 200, "Switching to ASCII mode."},
			{"SIZE a.txt", 213, "8"},
			{"REST 3", 350, "Restart position accepted (3)."},
			{"RETR a.txt", 550, "No support for resume of ASCII transfer."},
			{"NOOP", 200, "NOOP ok."},
			{"QUIT", 221, "Goodbye."},
		},
		"proftpd": {
			{"USER bob", 331, "Password required for bob"},
			{"PASS x", 230, "User bob logged in"},
			{"CWD nope", 550, "nope: No such file or directory"},
			{"CWD /pub/a.txt", 550, "/pub/a.txt: Not a directory"},
			{"CWD /pub", 250, "CWD command successful"},
			{"MKD sub", 550, "sub: File exists"},
			{"RMD sub", 550, "sub: Directory not empty"},
			{"RETR nope", 550, "nope: No such file or directory"},
			{"TYPE A", 200, "Type set to A"},
			{"SIZE a.txt", 550, "SIZE not allowed in ASCII mode"},
			{"REST 3", 501, "REST: Resuming transfers not allowed in ASCII mode"},
			{"XFOO", 500, "XFOO not understood"},
			{"APPE a.txt", 451, "a.txt: Append/Restart not permitted, try again"},
			{"PROT P", 500, "PROT not understood"},
		},
		"pure-ftpd": {
			{"USER bob", 331, "User bob OK. Password required"},
			{"PASS x", 230, ""},
			{"AUTH SSL", 500, "This security scheme is not implemented"},
			{"TYPE A", 200, "TYPE is now ASCII"},
			{"SIZE /pub/a.txt", 213, "8"},
			{"REST 3", 350, "Restarting at 3. But we're in ASCII mode"},
			{"RETR /pub/a.txt", 503, "ASCII resume is unsafe, please delete the file first"},
			{"TYPE I", 200, "TYPE is now 8-bit binary"},
			{"SIZE /pub/a.txt", 213, "8"},
		},
		"wu-ftpd": {
			{"USER bob", 331, "Password required for bob."},
			{"PASS x", 230, ""},
			{"TYPE A", 200, ""},
			{"SIZE /pub/a.txt", 213, "10"},
			{"TYPE I", 200, "Type set to I."},
			{"SIZE /pub/a.txt", 213, "8"},
		},
		"serv-u": { // its FEAT lists MODE Z; mockftpd does not compress: 504, as Serv-U without it
			{"USER bob", 331, "User name okay, need password."},
			{"PASS x", 230, ""},
			{"MODE Z", 504, ""},
			{"MODE S", 200, ""},
		},
		"iis": {
			{"USER bob", 331, "Password required"},
			{"PASS x", 230, "User logged in."},
			{"SYST", 215, "Windows_NT"},
			{"CWD nope", 550, "The system cannot find the file specified."},
			{"EPSV", 500, "Command not understood."},
			{"MKD pub", 550, "Cannot create a file when that file already exists."},
		},
	}
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) {
			runRaw(t, dialectServer(t, name, nil), "", steps)
		})
	}

	// a rule wins over the dialect; what it does not script is the dialect's
	sc := scenario.New("rules").Dialect("vsftpd")
	sc.Rule(scenario.On("CWD").Reply(550, "scripted"))
	runRaw(t, dialectServer(t, "", sc), "(vsFTPd 3.0.3)", []rawExchange{
		{"USER bob", 331, "Please specify the password."},
		{"PASS x", 230, ""},
		{"CWD /pub", 550, "scripted"},
		{"DELE nope", 550, "Delete operation failed."},
	})
}

// pure-ftpd's greeting names the session and the time: the engine fills
// them in per session; its FEAT has its own frame.
func TestDialectGreetingAndFeat(t *testing.T) {
	srv := dialectServer(t, "pure-ftpd", nil)
	c := rawDial(t, srv.Addr())
	g := c.Expect(220)
	if !strings.Contains(g, "You are user number 1 of") || strings.Contains(g, "{") {
		t.Errorf("greeting %q", g)
	}
	if got := c.Cmd(211, "FEAT"); !strings.HasPrefix(got, "Extensions supported:\n UTF8\n") || !strings.HasSuffix(got, "End.") {
		t.Errorf("FEAT %q", got)
	}
}

// A transfer's 1xx and final replies, and the listing bytes, are the
// dialect's.
func TestDialectTransferReplies(t *testing.T) {
	srv := dialectServer(t, "vsftpd", nil)
	c := rawDial(t, srv.Addr())
	c.Login("bob", "x")
	list := func(cmd string) (string, string) {
		t.Helper()
		addr := pasvAddr(t, c.Cmd(227, "PASV"))
		dc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer dc.Close()
		pre := c.Cmd(150, "%s", cmd)
		b, _ := io.ReadAll(dc)
		_, fin, _ := c.Read()
		return pre + "|" + fin, string(b)
	}
	if got, data := list("RETR /pub/a.txt"); got != "Opening BINARY mode data connection for /pub/a.txt (8 bytes).|Transfer complete." || data != "one\ntwo\n" {
		t.Errorf("RETR: %q %q", got, data)
	}
	got, data := list("LIST /pub")
	if got != "Here comes the directory listing.|Directory send OK." {
		t.Errorf("LIST: %q", got)
	}
	if !strings.HasPrefix(data, "-rw-r--r--    1 1000     1000            8 ") || !strings.Contains(data, " a.txt\r\ndrwxr-xr-x    2 1000     1000         4096 ") {
		t.Errorf("LIST data %q", data)
	}
	// vsftpd lists a missing path as empty, after its 150
	if got, data := list("LIST /nope"); got != "Here comes the directory listing.|Directory send OK." || data != "" {
		t.Errorf("LIST of a missing path: %q %q", got, data)
	}
	if got := c.Cmd(213, "STAT /pub/a.txt"); !strings.HasPrefix(got, "Status follows:\n-rw-r--r--") {
		t.Errorf("STAT %q", got)
	}
}
