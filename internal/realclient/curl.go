package realclient

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// CurlResult is what one curl run observed.
type CurlResult struct {
	Result
	Code    int    // curl's exit code, its error number (CURLE_*): 0 on success
	Message string // curl's error message, normalised (see Normalize); "" on success
}

// Observed is the stable summary of the run: "exit 0", or
// "exit 19: RETR response: 450".
func (r CurlResult) Observed() string {
	if r.Killed {
		return "no exit: hangs (killed at the time limit)"
	}
	if r.Code == 0 && r.Message == "" {
		return "exit 0"
	}
	if r.Message == "" {
		return fmt.Sprintf("exit %d", r.Code)
	}
	return fmt.Sprintf("exit %d: %s", r.Code, r.Message)
}

// curlError is curl's error line with --show-error: "curl: (19) RETR response: 450".
var curlError = regexp.MustCompile(`(?m)^curl: \((\d+)\) (.*)$`)

// Curl runs curl on the server's URL for path ("/pub/file.txt" downloads
// it, "/pub/" lists it; curl changes into each directory of the path,
// then works on the last part) with extra arguments, such as
// "-T", "local-file" (upload), "-Q", "NOOP" (a command before the
// transfer) or "-I" (no transfer). The mode sets the data connection
// (--ftp-port for active) and FTPS (--ssl-reqd for explicit, ftps:// for
// implicit; --insecure, the mock's certificate being self-signed). The
// downloaded bytes are in Stdout.
func (s Session) Curl(t testing.TB, path string, args ...string) CurlResult {
	t.Helper()
	s = s.ready(t, Curl)
	if !strings.HasPrefix(path, "/") {
		t.Fatalf("realclient: curl path %q must start with /", path)
	}
	host, port, _ := net.SplitHostPort(s.Addr)
	scheme := "ftp"
	all := []string{"-q", "--silent", "--show-error",
		"--user", s.User + ":" + s.Password,
		"--connect-timeout", seconds(s.Timeout), "--max-time", seconds(s.Timeout)}
	if s.Mode.Active {
		all = append(all, "--ftp-port", host)
	}
	switch s.Mode.TLS {
	case Explicit:
		all = append(all, "--ssl-reqd", "--insecure")
	case Implicit:
		scheme = "ftps"
		all = append(all, "--insecure")
	}
	all = append(all, args...)
	all = append(all, scheme+"://"+net.JoinHostPort(host, port)+path)
	r := CurlResult{Result: run(t, s, Curl, nil, all...)}
	r.Code = r.Exit
	if m := curlError.FindAllStringSubmatch(r.Stderr, -1); len(m) > 0 {
		last := m[len(m)-1]
		if n, err := strconv.Atoi(last[1]); err == nil && n == r.Exit {
			r.Message = Normalize(last[2], s.Dir)
		}
	}
	return r
}

// seconds formats a duration as seconds for curl and lftp ("2.5").
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
