package mockftpd_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// dataScenarioTests exercises every data-fault scenario under
// scenarios/data/; each test starts the servers it needs from the file.
var dataScenarioTests = map[string]func(t *testing.T, file string){
	"download-cut-at-1mib": func(t *testing.T, file string) {
		t.Run("jlaffaye", func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t, ftptest.WithScenarioFile(file))
			full, err := srv.ReadFile("/pub/big.bin")
			if err != nil || len(full) != 4<<20 {
				t.Fatalf("seed file: %d bytes, %v", len(full), err)
			}
			c := login(t, srv.Addr(), "u", "p")
			r, err := c.Retr("/pub/big.bin")
			if err != nil {
				t.Fatal(err)
			}
			_ = r.SetDeadline(time.Now().Add(10 * time.Second))
			first, rerr := io.ReadAll(r)
			if !errors.Is(rerr, syscall.ECONNRESET) {
				t.Fatalf("reading the cut download: %v, want a connection reset", rerr)
			}
			wantReply(t, r.Close(), 426, "Connection closed; transfer aborted.")
			if len(first) != 1<<20 || !bytes.Equal(first, full[:1<<20]) {
				t.Fatalf("first download: %d bytes, want the first MiB", len(first))
			}
			rest, err := retrFrom(c, "/pub/big.bin", uint64(len(first)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(append(first, rest...), full) {
				t.Fatal("resumed download differs from the file")
			}
			e := firstTransfer(t, srv, "RETR")
			if e.Transfer.End != "reset" || e.Transfer.BytesOut != 1<<20 || e.Transfer.Mode != "EPSV" {
				t.Fatalf("journal: %+v", e.Transfer)
			}
		})
		t.Run("raw-PORT", func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t, ftptest.WithScenarioFile(file))
			full, _ := srv.ReadFile("/pub/big.bin")
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			c.Cmd(200, "TYPE I")
			first, err := activeRetr(t, c, "RETR /pub/big.bin", 150, 426)
			if !errors.Is(err, syscall.ECONNRESET) || !bytes.Equal(first, full[:1<<20]) {
				t.Fatalf("first download: %d bytes, %v", len(first), err)
			}
			c.Cmd(350, "REST %d", len(first))
			rest, err := activeRetr(t, c, "RETR /pub/big.bin", 150, 226)
			if err != nil || !bytes.Equal(append(first, rest...), full) {
				t.Fatalf("resumed download: %d bytes, %v", len(rest), err)
			}
		})
	},
	"upload-disk-full-at-10mib": func(t *testing.T, file string) {
		srv := ftptest.New(t, ftptest.WithScenarioFile(file))
		big := bytes.Repeat([]byte("0123456789abcdef"), 11<<20/16) // 11 MiB
		c := login(t, srv.Addr(), "u", "p")
		wantReply(t, c.Stor("/in/big.bin", bytes.NewReader(big)), 452, "Insufficient storage space in system.")
		if _, err := srv.ReadFile("/in/big.bin"); !os.IsNotExist(err) {
			t.Fatalf("the partial upload was kept: %v", err)
		}
		e := firstTransfer(t, srv, "STOR")
		if e.Transfer.End != "cut" || e.Transfer.BytesIn != 10<<20 {
			t.Fatalf("journal: %+v", e.Transfer)
		}
		wantReply(t, c.Append("/in/log.txt", bytes.NewReader(big)), 452, "Insufficient storage space in system.")
		if b, _ := srv.ReadFile("/in/log.txt"); string(b) != "line 1\n" {
			t.Fatalf("the appended file kept %d bytes", len(b))
		}
		// small uploads work, and the session is usable throughout
		mustOK(t, c.Stor("/in/small.txt", strings.NewReader("fits")))
		mustOK(t, c.Append("/in/log.txt", strings.NewReader("line 2\n")))
		if b, _ := srv.ReadFile("/in/log.txt"); string(b) != "line 1\nline 2\n" {
			t.Fatalf("log after a small APPE: %q", b)
		}
	},
	"slow-link-64kbps": func(t *testing.T, file string) {
		srv := ftptest.New(t, ftptest.WithScenarioFile(file))
		c := login(t, srv.Addr(), "u", "p")
		r, err := c.Retr("/pub/report.bin")
		if err != nil {
			t.Fatal(err)
		}
		_ = r.SetDeadline(time.Now().Add(10 * time.Second))
		// the rate between the first and the last byte, the first piece
		// not counted (it left at the start of the measure)
		var firstAt, lastAt time.Time
		firstN, total := 0, 0
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if total == 0 {
					firstAt, firstN = time.Now(), n
				}
				total += n
				lastAt = time.Now()
			}
			if err != nil {
				break
			}
		}
		mustOK(t, r.Close())
		if total != 96000 {
			t.Fatalf("%d bytes", total)
		}
		elapsed := lastAt.Sub(firstAt)
		rate := float64(total-firstN) / elapsed.Seconds()
		t.Logf("achieved %.0f B/s over %v", rate, elapsed)
		if elapsed < time.Second || rate < 64000*0.8 || rate > 64000*1.2 {
			t.Fatalf("achieved %.0f B/s over %v, want 64000 B/s ± 20%% over at least 1s", rate, elapsed)
		}
	},
	"broken-nat": func(t *testing.T, file string) {
		t.Run("raw client believes the 227", func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t, ftptest.WithScenarioFile(file))
			c := rawDial(t, srv.Addr())
			c.Login("u", "p")
			msg := c.Cmd(227, "PASV")
			open := strings.IndexByte(msg, '(')
			if open < 0 || !strings.HasPrefix(msg[open:], "(10,255,255,1,") {
				t.Fatalf("227 %q", msg)
			}
			f := strings.Split(strings.Trim(msg[open:], "()."), ",")
			addr := strings.Join(f[:4], ".") + ":" + portOf(f[4], f[5])
			// The advertised host is not this machine's: tests here send
			// traffic to loopback only, so no client dials it. Its port is
			// the real listener's, which a client using the control host
			// reaches (below).
			if !strings.HasPrefix(addr, "10.255.255.1:") {
				t.Fatalf("advertised %s", addr)
			}
			c.Cmd(502, "EPSV")
		})
		t.Run("jlaffaye uses the control host", func(t *testing.T) {
			t.Parallel()
			srv := ftptest.New(t, ftptest.WithScenarioFile(file))
			// default: jlaffaye/ftp ignores the 227 host altogether
			c := login(t, srv.Addr(), "u", "p")
			got, err := retr(c, "/pub/file.txt")
			if err != nil || string(got) != "reached through the NAT\n" {
				t.Fatalf("default client: %q, %v", got, err)
			}
			// trusting the 227: 10.255.255.1 is private, the control
			// connection is on loopback, so jlaffaye/ftp judges the address
			// bogus (isBogusDataIP) and still uses the control host
			c = login(t, srv.Addr(), "u", "p", ftp.DialWithTrustPasvIP(true))
			got, err = retr(c, "/pub/file.txt")
			if err != nil || string(got) != "reached through the NAT\n" {
				t.Fatalf("trusting client on loopback: %q, %v", got, err)
			}
		})
		// (jlaffaye/ftp with DialWithTrustPasvIP would believe a plausible
		// wrong address; showing it needs a non-loopback control address
		// and traffic to another host, which tests here never send.)
	},
}

// TestDataScenarios runs each scenarios/data file's test, and checks that
// every file has one.
func TestDataScenarios(t *testing.T) {
	t.Parallel()
	eachScenarioFile(t, filepath.Join("scenarios", "data"), 4, testNames(dataScenarioTests), func(t *testing.T, name, file string, _ *scenario.Scenario) {
		dataScenarioTests[name](t, file)
	})
}

// firstTransfer is the journal entry of the first cmd.
func firstTransfer(t *testing.T, srv *ftptest.Server, cmd string) journal.Entry {
	t.Helper()
	e, err := srv.WaitCommand(cmd, "", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if e.Transfer == nil {
		t.Fatalf("no transfer recorded for %s", cmd)
	}
	return e
}

// activeRetr runs a download in active mode (PORT): the bytes, and how the
// data connection ended; it checks the 1xx and the final reply.
func activeRetr(t *testing.T, c *tc.Raw, line string, prelim, final int) ([]byte, error) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := ln.Addr().(*net.TCPAddr)
	c.Cmd(200, "PORT 127,0,0,1,%d,%d", a.Port>>8, a.Port&0xff)
	c.Send("%s", line)
	c.Expect(prelim)
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	dc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	_ = dc.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(dc)
	c.Expect(final)
	return b, err
}

func portOf(hi, lo string) string {
	h, _ := strconv.Atoi(hi)
	l, _ := strconv.Atoi(lo)
	return strconv.Itoa(h<<8 | l)
}
