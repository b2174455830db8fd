package record_test

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/record"
	"github.com/mockftpd/mockftpd/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startProxy relays a loopback listener to upstream until the test ends.
func startProxy(t testing.TB, cfg record.Config) (*record.Proxy, string) {
	t.Helper()
	p, err := record.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- p.Serve(l) }()
	t.Cleanup(func() {
		_ = p.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return p, l.Addr().String()
}

// A jlaffaye/ftp session through the proxy works and is recorded: the
// greeting, every command with its replies, the bytes of each transfer.
func TestProxyRecordsASession(t *testing.T) {
	up := ftptest.New(t)
	if err := up.WriteFile("/pub/a.txt", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	p, addr := startProxy(t, record.Config{Upstream: up.Addr()})

	c := testclient.Login(t, addr, "bob", "secret")
	got, err := testclient.Retr(c, "/pub/a.txt", 0)
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("RETR = %q, %v", got, err)
	}
	if err := c.Stor("/pub/b.txt", strings.NewReader("uploaded")); err != nil {
		t.Fatal(err)
	}
	if b, _ := up.ReadFile("/pub/b.txt"); string(b) != "uploaded" {
		t.Fatalf("upstream got %q", b)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	tr := waitSessions(t, p, 1)
	s := tr.Sessions[0]
	if s.End != "client quit" {
		t.Errorf("end = %q", s.End)
	}
	var verbs []string
	for _, e := range s.Exchanges {
		verbs = append(verbs, e.Verb)
	}
	t.Logf("verbs: %v", verbs)
	if s.Exchanges[0].Verb != "" || s.Exchanges[0].Replies[0].Code != 220 {
		t.Fatalf("first exchange %+v, want the greeting", s.Exchanges[0])
	}
	var retr, stor *record.Exchange
	for _, e := range s.Exchanges {
		switch e.Verb {
		case "RETR":
			retr = e
		case "STOR":
			stor = e
		}
	}
	if retr == nil || retr.Transfer == nil || string(retr.Transfer.Data) != "hello\n" || retr.Transfer.Upload {
		t.Fatalf("RETR exchange: %+v", retr)
	}
	if stor == nil || stor.Transfer == nil || string(stor.Transfer.Data) != "uploaded" || !stor.Transfer.Upload {
		t.Fatalf("STOR exchange: %+v", stor)
	}
	if retr.Cwd != "/" || retr.Arg != "/pub/a.txt" {
		t.Fatalf("RETR cwd %q arg %q", retr.Cwd, retr.Arg)
	}
}

// waitSessions waits until n sessions have ended and returns the transcript.
func waitSessions(t testing.TB, p *record.Proxy, n int) *record.Transcript {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tr := p.Transcript()
		ended := 0
		for _, s := range tr.Sessions {
			if !s.Ended.IsZero() {
				ended++
			}
		}
		if ended >= n {
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sessions ended after 10s", ended, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FTPS, explicit and implicit: TLS is terminated on both sides, PROT P
// data connections too, and the transcript has the clear bytes.
func TestProxyTLS(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		t.Run(map[bool]string{false: "explicit", true: "implicit"}[implicit], func(t *testing.T) {
			up := ftptest.New(t, ftptest.WithConfig(func(c *server.Config) {
				c.TLS = server.TLSExplicit
				if implicit {
					c.TLS = server.TLSImplicit
				}
			}))
			if err := up.WriteFile("/a.txt", []byte("secret bytes")); err != nil {
				t.Fatal(err)
			}
			p, addr := startProxy(t, record.Config{Upstream: up.Addr(), ImplicitTLS: implicit, UpstreamTLS: &tls.Config{InsecureSkipVerify: true}}) //nolint:gosec // self-signed
			cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(4)}              //nolint:gosec // self-signed
			opt := ftp.DialWithExplicitTLS(cfg)
			if implicit {
				opt = ftp.DialWithTLS(cfg)
			}
			c, err := ftp.Dial(addr, opt, ftp.DialWithTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Login("bob", "x"); err != nil {
				t.Fatal(err)
			}
			r, err := c.Retr("/a.txt")
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			_ = r.Close()
			if err != nil || string(b) != "secret bytes" {
				t.Fatalf("RETR = %q, %v", b, err)
			}
			_ = c.Quit()
			tr := waitSessions(t, p, 1)
			for _, e := range tr.Sessions[0].Exchanges {
				if e.Verb == "RETR" && (e.Transfer == nil || !e.Transfer.TLS || string(e.Transfer.Data) != "secret bytes") {
					t.Fatalf("RETR transfer %+v", e.Transfer)
				}
			}
		})
	}
}
