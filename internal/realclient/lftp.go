package realclient

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LFTPResult is what one lftp run observed.
type LFTPResult struct {
	Result
	Errors []string // lftp's error lines (standard error), normalised (see Normalize)
}

// Observed is the stable summary of the run: "exit 0", or "exit 1: " and
// the error lines joined by " / ".
func (r LFTPResult) Observed() string {
	s := fmt.Sprintf("exit %d", r.Exit)
	if r.Killed {
		s = "no exit: hangs (killed at the time limit)"
	}
	if len(r.Errors) > 0 {
		s += ": " + strings.Join(r.Errors, " / ")
	}
	return s
}

// LFTP runs lftp with commands (one a line: "get /pub/file.txt -o f",
// "put up.txt -o /up.txt", "ls /pub", "mkdir /new", "quote NOOP"...) on
// a connection to the session's server, from a script file, without the
// user's rc files. The settings make it fail fast and predictably: the
// first failing command ends the run with exit 1 (cmd:fail-exit), no
// retries (net:max-retries 1), the session's Timeout as net:timeout,
// passive or active mode, FTPS as the mode says (ftp:ssl-force for
// explicit, ftps:// for implicit, data protected, certificate not
// verified) and none at all for plain FTP (lftp would otherwise use AUTH
// TLS whenever FEAT offers it). Commands may change any setting with
// "set" (e.g. "set net:max-retries 3" to see lftp's retries).
//
// Prefer "get FILE -o LOCAL" to "cat": lftp 4.9 does not exit when a cat
// fails under cmd:fail-exit (the run then ends at the time limit).
func (s Session) LFTP(t testing.TB, commands ...string) LFTPResult {
	t.Helper()
	s = s.ready(t, LFTP)
	host, port, _ := net.SplitHostPort(s.Addr)
	passive := "on"
	if s.Mode.Active {
		passive = "off"
	}
	script := []string{
		"set cmd:fail-exit yes",
		"set cmd:interactive no",
		"set net:max-retries 1",
		"set net:persist-retries 0",
		"set net:reconnect-interval-base 1",
		"set net:timeout " + seconds(s.Timeout),
		"set dns:order \"inet inet6\"",
		"set xfer:clobber yes",
		"set ftp:passive-mode " + passive,
		"set ftp:ssl-allow " + map[bool]string{true: "yes", false: "no"}[s.Mode.TLS != Plain],
	}
	scheme := "ftp"
	switch s.Mode.TLS {
	case Explicit:
		script = append(script, "set ftp:ssl-force yes")
	case Implicit:
		scheme = "ftps"
	}
	if s.Mode.TLS != Plain {
		script = append(script, "set ftp:ssl-protect-data yes", "set ftp:ssl-protect-list yes", "set ssl:verify-certificate no")
	}
	script = append(script, fmt.Sprintf("open -u %s,%s %s://%s", lftpQuote(s.User), lftpQuote(s.Password), scheme, net.JoinHostPort(host, port)))
	script = append(script, commands...)
	file := filepath.Join(s.Dir, ".lftp-script")
	if err := os.WriteFile(file, []byte(strings.Join(script, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := LFTPResult{Result: run(t, s, LFTP, nil, "--norc", "-f", file)}
	for line := range strings.Lines(r.Stderr) {
		if line = strings.TrimSpace(line); line != "" {
			r.Errors = append(r.Errors, Normalize(line, s.Dir))
		}
	}
	return r
}

// lftpQuote quotes a word for lftp's command line.
func lftpQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
