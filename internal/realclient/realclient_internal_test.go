package realclient

import (
	"fmt"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ in, want string }{
		{"Failed to connect to 127.0.0.1 port 41234 after 0 ms: Couldn't connect to server",
			"Failed to connect to 127.0.0.1 port {port} after N ms: Couldn't connect to server"},
		{"Operation timed out after 1001 milliseconds with 0 bytes received",
			"Operation timed out after N milliseconds with 0 bytes received"},
		{"229 Entering Extended Passive Mode (|||40001|)", "229 Entering Extended Passive Mode (|||{port}|)"},
		{"229 Entering Extended Passive Mode (|||1|)", "229 Entering Extended Passive Mode (|||1|)"}, // named by a scenario
		{"227 Entering Passive Mode (127,0,0,1,156,64).", "227 Entering Passive Mode (127,0,0,1,{port})."},
		{"227 Entering Passive Mode (10,0,0,1,0,1).", "227 Entering Passive Mode (10,0,0,1,0,1)."},
		{"EPRT |1|127.0.0.1|51423|", "EPRT |1|127.0.0.1|{port}|"},
		{"dial 127.0.0.1:45000 and [::1]:50000", "dial 127.0.0.1:{port} and [::1]:{port}"},
		{"connect to 127.0.0.1:21", "connect to 127.0.0.1:21"},
		{"120 Service ready in 2 seconds", "120 Service ready in 2 seconds"},
		{"response reading failed (errno: 115)", "response reading failed (errno: N)"},
		{"put: " + dir + "/up.txt: No such file  \n", "put: {dir}/up.txt: No such file"},
	} {
		if got := Normalize(c.in, dir); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestVersionOf(t *testing.T) {
	for _, c := range []struct {
		client Client
		out    string
		want   string
	}{
		{Curl, "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.19\nRelease-Date: 2023-02-20\n", "7.88"},
		{Curl, "curl 8.5.0 (x86_64-pc-linux-gnu)\n", "8.5"},
		{LFTP, "LFTP | Version 4.9.2 | Copyright (c) 1996-2020 Alexander V. Lukyanov\n", "4.9"},
		{LFTP, "something else\n", "?"},
	} {
		if got := versionOf(c.client, c.out); got != c.want {
			t.Errorf("versionOf(%s, %q) = %q, want %q", c.client, c.out, got, c.want)
		}
	}
	if !curlHasFTPS("Protocols: dict file ftp ftps gopher http\n") || curlHasFTPS("Protocols: dict file ftp http\n") {
		t.Error("curlHasFTPS misreads the protocol list")
	}
}

// fakeTB records how Require ends a test.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Skip(args ...any)                  { f.skipped = fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }

func TestRequireSkipsOrFailsInCI(t *testing.T) {
	toolsMu.Lock()
	saved := tools
	tools = map[Client]*tool{}
	toolsMu.Unlock()
	t.Cleanup(func() {
		toolsMu.Lock()
		tools = saved
		toolsMu.Unlock()
	})
	t.Setenv("PATH", t.TempDir()) // no client in it

	t.Setenv("CI", "")
	f := &fakeTB{TB: t}
	Require(f, LFTP)
	if f.failed != "" || !strings.Contains(f.skipped, "lftp is not installed") || !strings.Contains(f.skipped, InstallHint) {
		t.Errorf("locally: skipped %q, failed %q; want a skip saying how to install", f.skipped, f.failed)
	}
	t.Setenv("CI", "true")
	f = &fakeTB{TB: t}
	Require(f, Ftplib)
	if f.skipped != "" || !strings.Contains(f.failed, "CI=true") || !strings.Contains(f.failed, InstallHint) {
		t.Errorf("in CI: skipped %q, failed %q; want a failure", f.skipped, f.failed)
	}
}

func TestEnvironment(t *testing.T) {
	t.Setenv("ftp_proxy", "http://proxy.invalid:3128")
	t.Setenv("ALL_PROXY", "http://proxy.invalid:3128")
	env := strings.Join(environ("/tmp/x"), "\n")
	for _, want := range []string{"HOME=/tmp/x", "LC_ALL=C", "XDG_CONFIG_HOME=/tmp/x"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s", want)
		}
	}
	if strings.Contains(strings.ToLower(env), "proxy") {
		t.Error("the clients' environment names a proxy")
	}
}
