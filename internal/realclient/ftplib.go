package realclient

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

//go:embed ftplib_driver.py
var ftplibDriver string

// Step is one ftplib call of a transcript. Op is one of:
//
//	connect              FTP.connect: the greeting
//	auth                 FTP_TLS.auth: AUTH TLS (explicit FTPS)
//	login                FTP.login(User, Password): USER, PASS (and ACCT)
//	prot_p               FTP_TLS.prot_p: PBSZ 0, PROT P
//	cwd, pwd             cwd(Path), pwd()
//	nlst, list, mlsd     the names in Path (list: retrlines("LIST Path"))
//	size                 size(Path)
//	retr                 retrbinary("RETR Path", rest=Rest): the bytes' length, text and hash
//	stor, appe           storbinary("STOR Path" or "APPE Path") of Data repeated Repeat times
//	rename, dele         rename(Path, To), delete(Path)
//	mkd, rmd             mkd(Path), rmd(Path)
//	noop                 voidcmd("NOOP")
//	sendcmd              sendcmd(Line): any command, its reply
//	quit, close          quit(), close()
//	sleep                time.sleep(Seconds)
type Step struct {
	Op       string  `json:"op"`
	Path     string  `json:"path,omitempty"`
	To       string  `json:"to,omitempty"`
	Data     string  `json:"data,omitempty"`
	Repeat   int     `json:"repeat,omitempty"`
	Rest     int64   `json:"rest,omitempty"`
	Line     string  `json:"line,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"`
	User     string  `json:"user,omitempty"`
	Password string  `json:"password,omitempty"`
}

// String names the call: "retr /pub/file.txt", "sendcmd NOOP".
func (s Step) String() string {
	args := []string{s.Op}
	for _, a := range []string{s.Path, s.To, s.Line} {
		if a != "" {
			args = append(args, a)
		}
	}
	if s.Rest != 0 {
		args = append(args, fmt.Sprintf("rest=%d", s.Rest))
	}
	if s.Op == "login" && s.User != "" {
		args = append(args, s.User)
	}
	return strings.Join(args, " ")
}

// StepResult is what one step gave: its final reply or value, or the
// exception it raised.
type StepResult struct {
	Step    Step            `json:"-"`
	OK      bool            `json:"ok"`
	Reply   string          `json:"reply"`   // the reply the call returned, when it returns one
	Value   json.RawMessage `json:"value"`   // what else it returned (a path, names, a size, download summary)
	Error   string          `json:"error"`   // the exception's class: "ftplib.error_perm", "EOFError", "TimeoutError"...
	Message string          `json:"message"` // str(exception), normalised: for ftplib's errors, the reply
}

// Download is the value of a retr step.
type Download struct {
	Len    int    `json:"len"`
	SHA256 string `json:"sha256"`
	Text   string `json:"text"`
}

// Download decodes the value of a retr step.
func (r StepResult) Download() Download {
	var d Download
	_ = json.Unmarshal(r.Value, &d)
	return d
}

// Code is the reply code at the start of Reply (ok) or Message (an
// ftplib error), 0 when there is none.
func (r StepResult) Code() int {
	s := r.Reply
	if !r.OK {
		s = r.Message
	}
	if len(s) >= 3 {
		if n, err := strconv.Atoi(s[:3]); err == nil {
			return n
		}
	}
	return 0
}

// Observed is the stable summary of the step: "ok: 226 Transfer
// complete", "ok: 13 bytes \"hello\"", or "ftplib.error_temp: 450 ...".
func (r StepResult) Observed() string {
	var parts []string
	if !r.OK {
		parts = append(parts, r.Error)
		if r.Message != "" {
			parts[0] += ": " + r.Message
		}
	}
	if r.OK && r.Reply != "" {
		parts = append(parts, r.Reply)
	}
	if len(r.Value) > 0 {
		if r.Step.Op == "retr" {
			switch d := r.Download(); {
			case !r.OK && d.Len == 0: // nothing arrived
			case d.Text != "" || d.Len == 0:
				parts = append(parts, fmt.Sprintf("%d bytes %q", d.Len, d.Text))
			default:
				parts = append(parts, fmt.Sprintf("%d bytes, sha256 %s", d.Len, d.SHA256))
			}
		} else {
			var b bytes.Buffer
			if json.Compact(&b, r.Value) != nil {
				b.Write(r.Value)
			}
			parts = append(parts, b.String())
		}
	}
	switch {
	case !r.OK:
		return strings.Join(parts, "; ")
	case len(parts) == 0:
		return "ok"
	}
	return "ok: " + strings.Join(parts, "; ")
}

// FtplibResult is a transcript: every step and what it gave.
type FtplibResult struct {
	Result
	Steps []StepResult // one per step run; fewer when the driver died
}

// Ftplib runs steps with Python's ftplib (FTP, FTP_TLS for explicit
// FTPS, an FTP_TLS that wraps the socket at connect for implicit FTPS;
// set_pasv for the mode; the session's Timeout on every socket). Every
// step runs, whatever the earlier ones gave. FtplibLogin gives the usual
// first steps.
func (s Session) Ftplib(t testing.TB, steps ...Step) FtplibResult {
	t.Helper()
	s = s.ready(t, Ftplib)
	host, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	spec := map[string]any{
		"host": host, "port": p, "tls": map[TLSMode]string{Plain: "none", Explicit: "explicit", Implicit: "implicit"}[s.Mode.TLS],
		"passive": !s.Mode.Active, "timeout": s.Timeout.Seconds(),
		"user": s.User, "password": s.Password, "steps": steps,
	}
	in, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := FtplibResult{Result: run(t, s, Ftplib, in, "-I", "-c", ftplibDriver)}
	for line := range strings.Lines(r.Stdout) {
		var sr StepResult
		if err := json.Unmarshal([]byte(line), &sr); err != nil {
			t.Fatalf("realclient: ftplib driver printed %q: %v\n%s", line, err, r.Result)
		}
		if i := len(r.Steps); i < len(steps) {
			sr.Step = steps[i]
		}
		sr.Message = Normalize(sr.Message, s.Dir)
		sr.Reply = Normalize(sr.Reply, s.Dir)
		r.Steps = append(r.Steps, sr)
	}
	if len(r.Steps) != len(steps) && !r.Killed {
		t.Fatalf("realclient: ftplib driver ran %d of %d steps\n%s", len(r.Steps), len(steps), r.Result)
	}
	return r
}

// FtplibLogin is the steps that open a session in the session's mode
// (connect; auth for explicit FTPS; login; prot_p for FTPS), followed by
// more.
func (s Session) FtplibLogin(more ...Step) []Step {
	steps := []Step{{Op: "connect"}}
	if s.Mode.TLS == Explicit {
		steps = append(steps, Step{Op: "auth"})
	}
	steps = append(steps, Step{Op: "login"})
	if s.Mode.TLS != Plain {
		steps = append(steps, Step{Op: "prot_p"})
	}
	return append(steps, more...)
}
