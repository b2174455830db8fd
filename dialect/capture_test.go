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

// runs are the probe runs kept in testdata/real/: plain and passive, FTPS,
// and active (PORT) data connections.
var runs = []struct {
	suffix      string
	tls, active bool
}{{"", false, false}, {"-tls", true, false}, {"-active", false, true}}

func probeReal(t *testing.T, kind realftpd.Kind, withTLS, active bool) (dialectprobe.Transcript, time.Time) {
	mode := realftpd.TLSNone
	if withTLS {
		mode = realftpd.TLSExplicit
	}
	srv := realftpd.Start(t, kind, realftpd.Options{Files: map[string]string{"pub/": ""}, TLS: mode})
	now := time.Now()
	if err := dialectprobe.Seed(srv.Root, filepath.Join(srv.Root, "pub"), now); err != nil {
		t.Fatal(err)
	}
	tg := dialectprobe.Target{Addr: srv.Addr, User: srv.User, Password: srv.Password, BadUser: srv.BadUser, BadPassword: srv.BadPassword, Dir: "pub", Active: active}
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
		for _, r := range runs {
			tr, now := probeReal(t, k, r.tls, r.active)
			out := "# now " + now.UTC().Format(time.RFC3339) + "\n" + tr.String()
			if err := os.MkdirAll("testdata/real", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata/real", string(k)+r.suffix+".txt"), []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
