package mockftpd_test

// Issue 13.12, the first minute: a newcomer runs the mockftpd command as
// the README says and points curl, lftp or Python's ftplib at it, with
// nothing but a user name and a password. Then FTPS, with a certificate
// made by "mockftpd cert" that each client is told to trust.

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	rc "github.com/mockftpd/mockftpd/internal/realclient"
)

// buildCommand builds the mockftpd command into a temporary folder.
func buildCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mockftpd")
	if out, err := exec.Command(findGo(t), "build", "-o", bin, "./cmd/mockftpd").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mockftpd: %v\n%s", err, out)
	}
	return bin
}

var listeningAddr = regexp.MustCompile(`msg="mockftpd listening" addr=(\S+)`)

// startCommand runs the mockftpd binary with args (and -listen on a free
// loopback port, the one default changed) until the test ends; it returns
// the address and the log lines so far.
func startCommand(t *testing.T, bin string, args ...string) (string, []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")} // no MOCKFTPD_ variable
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	lines := make(chan string, 100)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		close(lines)
	}()
	var log []string
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("mockftpd ended at start:\n%s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if m := listeningAddr.FindStringSubmatch(l); m != nil {
				// the lines logged right after it (TLS hints) come too
				for {
					select {
					case l := <-lines:
						log = append(log, l)
						continue
					case <-time.After(200 * time.Millisecond):
					}
					break
				}
				return m[1], log
			}
		case <-deadline:
			t.Fatalf("mockftpd did not say where it listens:\n%s", strings.Join(log, "\n"))
		}
	}
}

// TestFirstMinute: the default command serves plain FTP, which curl, lftp
// (which uses AUTH TLS whenever a server takes it) and ftplib use at once.
func TestFirstMinute(t *testing.T) {
	t.Parallel()
	for _, c := range rc.All {
		rc.Require(t, c)
	}
	bin := buildCommand(t)
	addr, log := startCommand(t, bin)
	if !strings.Contains(strings.Join(log, "\n"), "tls=none") {
		t.Fatalf("the default is not plain FTP:\n%s", strings.Join(log, "\n"))
	}
	url := "ftp://" + addr
	s := rc.Session{Dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(s.Dir, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := s.Raw(t, rc.LFTP, "-u", "a,b", "-e", "put hello.txt; cls -1; bye", url); r.Exit != 0 || r.Stdout != "hello.txt\n" {
		t.Fatalf("lftp -u a,b %s: %s\nstdout %q", url, r, r.Stdout)
	}
	if r := s.Raw(t, rc.Curl, "-sS", url+"/hello.txt", "--user", "demo:demo"); r.Exit != 0 || r.Stdout != "hello\n" {
		t.Fatalf("curl: %s\nstdout %q", r, r.Stdout)
	}
	host, port, _ := strings.Cut(addr, ":")
	py := "import ftplib\nf = ftplib.FTP()\nf.connect('" + host + "', " + port + ")\nf.login('a', 'b')\nprint(f.nlst())\nf.quit()\n"
	if r := s.Raw(t, rc.Ftplib, "-c", py); r.Exit != 0 || r.Stdout != "['hello.txt']\n" {
		t.Fatalf("ftplib: %s\nstdout %q", r, r.Stdout)
	}
}

// TestFirstMinuteFTPS: with -tls explicit and a certificate "mockftpd
// cert" wrote, each client verifies the server as the start-up log tells
// it to; lftp, which verifies by default, refuses the server unless told.
func TestFirstMinuteFTPS(t *testing.T) {
	t.Parallel()
	for _, c := range rc.All {
		rc.Require(t, c)
	}
	bin := buildCommand(t)
	s := rc.Session{Dir: t.TempDir()}
	out, err := exec.Command(bin, "cert", "-cert", filepath.Join(s.Dir, "mockftpd.pem"), "-key", filepath.Join(s.Dir, "mockftpd.key")).CombinedOutput()
	if err != nil {
		t.Fatalf("mockftpd cert: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "localhost, 127.0.0.1, ::1") {
		t.Fatalf("mockftpd cert does not say what it covers:\n%s", out)
	}
	addr, log := startCommand(t, bin, "-tls", "explicit", "-cert", filepath.Join(s.Dir, "mockftpd.pem"), "-key", filepath.Join(s.Dir, "mockftpd.key"))
	if l := strings.Join(log, "\n"); !strings.Contains(l, "--cacert ") || !strings.Contains(l, "ssl:ca-file") || !strings.Contains(l, "create_default_context(cafile=") {
		t.Fatalf("the start-up log does not say how to trust the certificate:\n%s", l)
	}
	url := "ftp://" + addr
	if r := s.Raw(t, rc.LFTP, "-u", "a,b", "-e", "set net:max-retries 1; cls -1; bye", url); r.Exit == 0 {
		t.Fatalf("lftp accepted a certificate it was not told to trust: %s", r)
	}
	if r := s.Raw(t, rc.LFTP, "-u", "a,b", "-e", "set ssl:ca-file mockftpd.pem; set ftp:ssl-force yes; put mockftpd.pem -o up.pem; cls -1; bye", url); r.Exit != 0 || r.Stdout != "up.pem\n" {
		t.Fatalf("lftp with ssl:ca-file: %s\nstdout %q", r, r.Stdout)
	}
	if r := s.Raw(t, rc.Curl, "-sS", "--cacert", "mockftpd.pem", "--ssl-reqd", url+"/", "--user", "a:b"); r.Exit != 0 || !strings.Contains(r.Stdout, "up.pem") {
		t.Fatalf("curl --cacert: %s\nstdout %q", r, r.Stdout)
	}
	host, port, _ := strings.Cut(addr, ":")
	py := "import ftplib, ssl\nf = ftplib.FTP_TLS(context=ssl.create_default_context(cafile='mockftpd.pem'))\nf.connect('" + host + "', " + port +
		")\nf.login('a', 'b')\nf.prot_p()\nprint(f.nlst())\nf.quit()\n"
	if r := s.Raw(t, rc.Ftplib, "-c", py); r.Exit != 0 || r.Stdout != "['up.pem']\n" {
		t.Fatalf("ftplib: %s\nstdout %q", r, r.Stdout)
	}
}
