package server_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/server"
)

// ftpsLogin logs a raw client in over explicit or implicit FTPS with PROT P,
// for transfers in mode verb.
func ftpsLogin(t *testing.T, addr string, explicit bool, verb string) *rawData {
	t.Helper()
	c := rawDial(t, addr)
	wrap := func() {
		conn := tls.Client(c.Conn, clientTLS)
		if err := conn.Handshake(); err != nil {
			t.Fatalf("TLS handshake: %v", err)
		}
		c.Conn, c.TP = conn, textproto.NewConn(conn)
	}
	if !explicit {
		wrap()
	}
	c.Expect(220)
	if explicit {
		c.Cmd(234, "AUTH TLS")
		wrap()
	}
	c.Cmd(331, "USER u")
	c.Cmd(230, "PASS p")
	c.Cmd(200, "PBSZ 0")
	c.Cmd(200, "PROT P")
	c.Cmd(200, "TYPE I")
	return &rawData{Raw: c, t: t, mode: dmode{verb, true}}
}

// TestTLSDataWithoutBytes (issue 13.2): a TLS data connection over which
// no byte moves (an empty file or directory, an empty upload) still
// completes its handshake and ends with close_notify: Go's TLS client
// reads a clean end (it reports a connection that ends otherwise as an
// unexpected EOF). Every transfer command, both directions, explicit and
// implicit FTPS, passive and active.
func TestTLSDataWithoutBytes(t *testing.T) {
	t.Parallel()
	for _, tm := range tlsModes {
		for _, verb := range []string{"PASV", "EPSV", "PORT", "EPRT"} {
			for _, cmd := range []string{"RETR /empty.bin", "LIST /empty", "NLST /empty", "MLSD /empty", "STOR /new.bin", "APPE /more.bin"} {
				t.Run(tm.name+"/"+verb+"/"+cmd, func(t *testing.T) {
					t.Parallel()
					srv := ftptest.New(t, ftptest.WithTLS(tm.mode))
					if err := srv.WriteFile("/empty.bin", nil); err != nil {
						t.Fatal(err)
					}
					if err := srv.Fs().MkdirAll("/empty", 0o755); err != nil {
						t.Fatal(err)
					}
					d := ftpsLogin(t, srv.Addr(), tm.explicit, verb)
					get, _ := d.channel()
					d.Send("%s", cmd)
					d.Expect(150)
					conn, err := get()
					if err != nil {
						t.Fatal(err)
					}
					tc := conn.(*tls.Conn)
					if err := tc.Handshake(); err != nil {
						t.Fatalf("data connection handshake: %v", err)
					}
					if strings.HasPrefix(cmd, "STOR") || strings.HasPrefix(cmd, "APPE") {
						if err := tc.CloseWrite(); err != nil { // the client's close_notify: no byte sent
							t.Fatal(err)
						}
					}
					if b, err := io.ReadAll(tc); err != nil || len(b) != 0 {
						t.Fatalf("data connection: %q, %v; want no byte and a close_notify", b, err)
					}
					d.Expect(226)
					d.usable()
				})
			}
		}
	}
}

// needClient skips the test when a real client is not installed, saying
// how to install it, and fails it under CI=true, where .ci/run installs it.
func needClient(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s is not installed (apt-get install -y %s)", name, pkg)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestEmptyListingWithOpenSSLClients (issue 13.2): curl and Python's
// ftplib (OpenSSL both) list an empty root over FTPS.
func TestEmptyListingWithOpenSSLClients(t *testing.T) {
	t.Parallel()
	t.Run("curl explicit", func(t *testing.T) {
		t.Parallel()
		curl := needClient(t, "curl", "curl")
		srv := ftptest.New(t, ftptest.WithTLS(server.TLSExplicit))
		out, err := exec.Command(curl, "--silent", "--show-error", "--max-time", "20", "--ssl-reqd", "-k", "ftp://"+srv.Addr()+"/", "--user", "a:b").CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v: %s", err, out)
		}
	})
	t.Run("curl implicit", func(t *testing.T) {
		t.Parallel()
		curl := needClient(t, "curl", "curl")
		srv := ftptest.New(t, ftptest.WithTLS(server.TLSImplicit))
		out, err := exec.Command(curl, "--silent", "--show-error", "--max-time", "20", "-k", "ftps://"+srv.Addr()+"/", "--user", "a:b").CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v: %s", err, out)
		}
	})
	t.Run("python ftplib", func(t *testing.T) {
		t.Parallel()
		python := needClient(t, "python3", "python3")
		srv := ftptest.New(t, ftptest.WithTLS(server.TLSExplicit))
		host, port, _ := strings.Cut(srv.Addr(), ":")
		script := `
import ftplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
f = ftplib.FTP_TLS(context=ctx, timeout=20)
f.connect(sys.argv[1], int(sys.argv[2]))
f.login("a", "b")
f.prot_p()
print(f.nlst("/"))
f.quit()
`
		out, err := exec.Command(python, "-c", script, host, port).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "[]" {
			t.Fatalf("python: %v: %s", err, out)
		}
	})
}
