package dialect_test

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/internal/dialectprobe"
	"github.com/mockftpd/mockftpd/internal/realftpd"
)

var capture = flag.Bool("capture", false, "rewrite testdata/real/ from the real servers")

func probeReal(t *testing.T, kind realftpd.Kind, withTLS bool) (dialectprobe.Transcript, time.Time) {
	mode := realftpd.TLSNone
	if withTLS {
		mode = realftpd.TLSExplicit
	}
	srv := realftpd.Start(t, kind, realftpd.Options{Files: map[string]string{"pub/": ""}, TLS: mode})
	now := time.Now()
	if err := dialectprobe.Seed(srv.Root, filepath.Join(srv.Root, "pub"), now); err != nil {
		t.Fatal(err)
	}
	tg := dialectprobe.Target{Addr: srv.Addr, User: srv.User, Password: srv.Password, BadUser: srv.BadUser, BadPassword: srv.BadPassword, Dir: "pub"}
	if withTLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.CertPEM)
		tg.TLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", InsecureSkipVerify: true}
	}
	tr, err := dialectprobe.Run(tg, dialectprobe.Script)
	if err != nil {
		t.Fatalf("%v\n%s", err, tr)
	}
	return tr, now
}

func TestCapture(t *testing.T) {
	if !*capture {
		t.Skip("-capture not given")
	}
	for _, k := range realftpd.Kinds {
		for _, withTLS := range []bool{false, true} {
			tr, now := probeReal(t, k, withTLS)
			name := string(k)
			if withTLS {
				name += "-tls"
			}
			out := "# now " + now.UTC().Format(time.RFC3339) + "\n" + tr.String()
			if err := os.MkdirAll("testdata/real", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata/real", name+".txt"), []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
