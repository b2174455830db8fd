package record_test

import (
	"crypto/tls"
	"fmt"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/clientscript"
	"github.com/mockftpd/mockftpd/internal/realftpd"
	"github.com/mockftpd/mockftpd/record"
	"github.com/mockftpd/mockftpd/server"
)

// seedFiles is the tree every real server serves.
var seedFiles = map[string]string{
	"pub/a.txt":          "hello\n",
	"pub/sub/b.txt":      "in a subfolder\n",
	"pub/with space.txt": "spaced\n",
	"empty/":             "",
}

// liveRuns hides what differs between two runs against live servers:
// clocks and counters. A replay shows the recorded values and needs none
// of this.
var liveRuns = []clientscript.Normalisation{
	clientscript.NewNormalisation("time of day in listings and greetings", `\b\d{2}:\d{2}\b`, "HH:MM"),
	clientscript.NewNormalisation("MDTM and MLSD times", `\b20\d{12}(\.\d+)?\b`, "YYYYMMDDHHMMSS"),
	clientscript.NewNormalisation("pure-ftpd transfer rates", `[\d.]+ seconds \(measured here\), [\d.]+ (K|M|G)?bytes per second`, "T seconds (measured here), R bytes per second"),
	clientscript.NewNormalisation("pure-ftpd session count", `You are user number \d+ of \d+ allowed`, "You are user number N of M allowed"),
	clientscript.NewNormalisation("pure-ftpd server port", `Server port: \d+\.`, "Server port: P."),
	// pure-ftpd adds a second line to its 150 (the size, or "The computer
	// is your friend") or not, depending on when the data connection came
	clientscript.NewNormalisation("pure-ftpd 150 of two lines", `^< 150-Accepted data connection$`, "< 150 Accepted data connection"),
	clientscript.NewDrop("pure-ftpd 150 of two lines", `^< 150 ([\d.]+ kbytes to download|The computer is your friend\. Trust the computer)$`),
}

// tlsErrors hides how OpenSSL words a connection its peer dropped: "EOF
// occurred in violation of protocol" or "bad length" depending on whether
// the client was reading or writing at that moment, and nothing at all
// (ftplib's bare EOFError) when the server sent a TLS close_notify before
// closing, as mockftpd does and vsftpd does not.
var tlsErrors = []clientscript.Normalisation{
	clientscript.NewNormalisation("OpenSSL's wording of a dropped connection", `error: (\[SSL: [A-Z_]+\] )?[^"]*\(_ssl\.c:\d+\)`, "error: TLS connection dropped"),
	clientscript.NewNormalisation("a control connection closed with or without close_notify", `"error: "$`, `"error: TLS connection dropped"`),
}

// mode is how a client opens data connections.
type mode struct {
	name           string
	active, noEPSV bool
	tls, noResume  bool
	implicit       bool
}

// clientModes covers PASV, EPSV, PORT and EPRT with each server: ftplib
// uses PASV and PORT over IPv4, curl EPSV and EPRT, jlaffaye/ftp EPSV and
// PASV (it has no active mode).
var clientModes = map[clientscript.Client][]mode{
	clientscript.Curl:     {{name: "epsv"}, {name: "eprt", active: true}},
	clientscript.FTPLib:   {{name: "pasv"}, {name: "port", active: true}},
	clientscript.JLaffaye: {{name: "epsv"}, {name: "pasv", noEPSV: true}},
}

// target points a client script at a real server, or at addr in front of it.
func target(srv *realftpd.Server, addr string, m mode) clientscript.Target {
	return clientscript.Target{
		Addr: addr, User: srv.User, Password: srv.Password, BadUser: srv.BadUser, BadPassword: srv.BadPassword,
		Dir: "pub", File: "a.txt", Active: m.active, NoEPSV: m.noEPSV, TLS: m.tls, NoTLSResume: m.noResume, Implicit: m.implicit,
	}
}

// Every client's script, against each real server: through the recording
// proxy it sees what it sees directly (the proxy is transparent), and the
// recorded scenario replayed by mockftpd shows it the same again.
func TestRecordRealServers(t *testing.T) {
	for _, kind := range realftpd.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			for _, c := range clientscript.Clients {
				for _, m := range clientModes[c] {
					t.Run(fmt.Sprintf("%s/%s", c, m.name), func(t *testing.T) {
						recordAndReplay(t, kind, c, m, realftpd.Options{Files: seedFiles}, record.Config{})
					})
				}
			}
		})
	}
}

// Explicit FTPS: recorded through the proxy (TLS terminated on both sides)
// with curl and ftplib (their data connections resume the control
// connection's TLS session), for every server; and with an ftplib that does
// not resume, which vsftpd refuses ("522 SSL connection failed: session
// reuse required") through the proxy as it does directly. (ProFTPD refuses
// it too, but whether the client then sees the 425 or a broken pipe first
// is a race, directly as through the proxy.) ProFTPD accepts APPE here:
// when it refuses one (451, its default) it also closes the data
// connection curl has opened, and whether curl reads the 451 first or
// fails its TLS handshake on that connection first (and falls back to PASV)
// is a race in curl, directly as through the proxy or against the replay.
func TestRecordRealServersOverFTPS(t *testing.T) {
	type tlsCase struct {
		c clientscript.Client
		m mode
	}
	cases := []tlsCase{{clientscript.Curl, mode{name: "curl", tls: true}}, {clientscript.FTPLib, mode{name: "ftplib", tls: true}}}
	for _, kind := range realftpd.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			all := cases
			if kind == realftpd.VSFTPD {
				all = append(all, tlsCase{clientscript.FTPLib, mode{name: "ftplib-no-resume", tls: true, noResume: true}})
			}
			for _, tc := range all {
				t.Run(tc.m.name, func(t *testing.T) {
					recordAndReplay(t, kind, tc.c, tc.m,
						realftpd.Options{Files: seedFiles, TLS: realftpd.TLSExplicit, AllowStoreRestart: true},
						record.Config{UpstreamTLS: &tls.Config{InsecureSkipVerify: true}}) //nolint:gosec // the servers' certificates are self-signed
				})
			}
		})
	}
}

// Implicit FTPS on both sides, with curl, for the servers that have it.
func TestRecordRealServersOverImplicitFTPS(t *testing.T) {
	for _, kind := range []realftpd.Kind{realftpd.VSFTPD, realftpd.ProFTPD} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			recordAndReplay(t, kind, clientscript.Curl, mode{name: "curl", implicit: true},
				realftpd.Options{Files: seedFiles, TLS: realftpd.TLSImplicit},
				record.Config{ImplicitTLS: true, UpstreamTLS: &tls.Config{InsecureSkipVerify: true}}) //nolint:gosec // the servers' certificates are self-signed
		})
	}
}

// replayServer serves a recorded scenario, with implicit FTPS when the
// recording was made with it.
func replayServer(t *testing.T, yaml []byte, m mode) *ftptest.Server {
	return ftptest.New(t, ftptest.WithScenarioText(string(yaml)), ftptest.WithConfig(func(c *server.Config) {
		c.TLS = server.TLSExplicit // offered, as the recorded servers offer it
		if m.implicit {
			c.TLS = server.TLSImplicit
		}
	}))
}

// recordAndReplay runs client's script directly against a real server,
// then through the recording proxy against a fresh one, then against the
// replay of the recording, and compares what the client saw.
func recordAndReplay(t *testing.T, kind realftpd.Kind, c clientscript.Client, m mode, opts realftpd.Options, cfg record.Config) {
	direct := realftpd.Start(t, kind, opts)
	want := clientscript.Run(t, c, target(direct, direct.Addr, m))

	upstream := realftpd.Start(t, kind, opts)
	cfg.Upstream = upstream.Addr
	p, addr := startProxy(t, cfg)
	recorded := clientscript.Run(t, c, target(upstream, addr, m))
	t.Run("transparent", func(t *testing.T) {
		if d := clientscript.Diff(want.Normalise(clientscript.Ports, liveRuns, tlsErrors), recorded.Normalise(clientscript.Ports, liveRuns, tlsErrors)); d != "" {
			t.Fatalf("through the proxy, %s", d)
		}
	})

	tr := waitSessions(t, p, len(p.Transcript().Sessions))
	yaml, err := record.Scenario(tr, record.Options{}).Format()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("replay", func(t *testing.T) {
		srv := replayServer(t, yaml, m)
		replayed := clientscript.Run(t, c, target(upstream, srv.Addr(), m))
		if d := clientscript.Diff(recorded.Normalise(clientscript.Ports, tlsErrors), replayed.Normalise(clientscript.Ports, tlsErrors)); d != "" {
			t.Fatalf("replay of the recording, %s\nscenario:\n%s", d, yaml)
		}
	})
}
