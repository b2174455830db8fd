package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runArgs(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(string) (string, bool) { return "", false })
	return code, stdout.String(), stderr.String()
}

func TestCertCommand(t *testing.T) {
	// to standard output: the certificate, then its key
	code, out, errOut := runArgs("cert", "-host", "ftp.test,10.1.2.3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	pair, err := tls.X509KeyPair([]byte(out), []byte(out))
	if err != nil {
		t.Fatalf("not a certificate and its key: %v\n%s", err, out)
	}
	for _, name := range []string{"localhost", "ftp.test", "127.0.0.1", "::1", "10.1.2.3"} {
		if err := pair.Leaf.VerifyHostname(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !strings.Contains(errOut, "localhost, ftp.test, 127.0.0.1, ::1, 10.1.2.3") {
		t.Fatalf("stderr does not say what it covers: %s", errOut)
	}

	// to files: a certificate clients can trust as it is
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if code, _, errOut := runArgs("cert", "-cert", cert, "-key", key); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	} else if !strings.Contains(errOut, "mockftpd -tls explicit -cert "+cert+" -key "+key) || !strings.Contains(errOut, "curl --cacert "+cert) {
		t.Fatalf("no hint how to serve and trust it: %s", errOut)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	certPEM, _ := os.ReadFile(cert)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatal("the certificate file holds no certificate")
	}
	c, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("a client trusting the file cannot verify the server: %v", err)
	}

	// files that exist are kept, unless -force
	if code, _, errOut := runArgs("cert", "-cert", cert, "-key", key); code != 1 || !strings.Contains(errOut, "exists (-force replaces it)") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if again, _ := os.ReadFile(cert); !bytes.Equal(again, certPEM) {
		t.Fatal("a refused cert command changed the file")
	}
	if code, _, errOut := runArgs("cert", "-cert", cert, "-key", key, "-force"); code != 0 {
		t.Fatalf("-force: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runArgs("cert", "-cert", cert); code != 2 || !strings.Contains(errOut, "go together") {
		t.Fatalf("-cert alone: exit %d: %s", code, errOut)
	}
}
