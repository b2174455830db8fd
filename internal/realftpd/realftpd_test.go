package realftpd_test

import (
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/internal/realftpd"
	"github.com/mockftpd/mockftpd/internal/testclient"
)

// Each server starts, lets its user in, lists the seeded tree, takes an
// upload into a folder and serves it back.
func TestServers(t *testing.T) {
	for _, kind := range realftpd.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := realftpd.Start(t, kind, realftpd.Options{Files: map[string]string{
				"pub/a.txt": "hello\n",
				"empty/":    "",
			}})
			c := testclient.Login(t, srv.Addr, srv.User, srv.Password)
			names, err := c.NameList("/pub")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(names, ",") != "a.txt" && !strings.Contains(strings.Join(names, ","), "a.txt") {
				t.Fatalf("NLST /pub = %q", names)
			}
			if err := c.Stor("/pub/up.txt", strings.NewReader("uploaded")); err != nil {
				t.Fatal(err)
			}
			got, err := testclient.Retr(c, "/pub/up.txt", 0)
			if err != nil || string(got) != "uploaded" {
				t.Fatalf("RETR = %q, %v", got, err)
			}
			bad := testclient.Dial(t, srv.Addr)
			if err := bad.Login(srv.BadUser, srv.BadPassword); err == nil {
				t.Fatalf("%s:%s logged in", srv.BadUser, srv.BadPassword)
			}
		})
	}
}

// The servers offer explicit FTPS with their generated certificate.
func TestServersExplicitTLS(t *testing.T) {
	for _, kind := range realftpd.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := realftpd.Start(t, kind, realftpd.Options{TLS: realftpd.TLSExplicit, Files: map[string]string{"pub/a.txt": "hello\n"}})
			cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(4)} //nolint:gosec // self-signed
			c, err := ftp.Dial(srv.Addr, ftp.DialWithExplicitTLS(cfg), ftp.DialWithTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Quit()
			if err := c.Login(srv.User, srv.Password); err != nil {
				t.Fatal(err)
			}
			r, err := c.Retr("/pub/a.txt")
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			_ = r.Close()
			if err != nil || string(b) != "hello\n" {
				t.Fatalf("RETR over TLS = %q, %v", b, err)
			}
		})
	}
}
