package clientscript

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/internal/testtool"
)

// curlStep is one curl invocation (one session) of the script.
type curlStep struct {
	name string
	args []string // after the common ones
	url  string   // relative to the server's root
	out  bool     // the output file is a result
}

func runCurl(t testing.TB, tg Target) Transcript {
	t.Helper()
	curl := testtool.Need(t, "curl", "apt-get install -y curl")
	tmp := t.TempDir()
	first, second := filepath.Join(tmp, "first"), filepath.Join(tmp, "second")
	if err := os.WriteFile(first, []byte("first line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, []byte("second line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, f := tg.Dir, tg.File
	steps := []curlStep{
		{name: "FEAT, SYST, LIST", args: []string{"-Q", "FEAT", "-Q", "SYST"}, url: d + "/", out: true},
		{name: "NLST", args: []string{"--list-only"}, url: d + "/", out: true},
		{name: "SIZE, MDTM, RETR", args: []string{"-R"}, url: d + "/" + f, out: true},
		{name: "STOR", args: []string{"-T", first}, url: d + "/up.txt"},
		{name: "APPE", args: []string{"-T", second, "--append"}, url: d + "/up.txt"},
		{name: "REST+RETR", args: []string{"-C", "6"}, url: d + "/up.txt", out: true},
		{name: "RNFR, RNTO, MKD, RMD, DELE, LIST", args: []string{
			"-Q", "RNFR " + d + "/up.txt", "-Q", "RNTO " + d + "/renamed.txt",
			"-Q", "MKD " + d + "/newdir", "-Q", "RMD " + d + "/newdir",
			"-Q", "DELE " + d + "/renamed.txt",
		}, url: d + "/", out: true},
		{name: "RETR missing", url: d + "/missing.txt", out: true},
		{name: "bad login", args: []string{"--user", tg.BadUser + ":" + tg.BadPassword}, url: ""},
	}
	var tr Transcript
	for i, st := range steps {
		outFile := filepath.Join(tmp, "out"+strconv.Itoa(i))
		// --globoff: a test's temporary folder may hold braces (a subtest
		// named "...{address}"), which curl would take for a glob in -T
		args := []string{"-s", "-v", "--globoff", "--max-time", "20", "--user", tg.User + ":" + tg.Password, "-o", outFile}
		scheme := "ftp://"
		switch {
		case tg.Implicit:
			scheme = "ftps://"
			args = append(args, "-k")
		case tg.TLS:
			args = append(args, "--ssl-reqd", "-k")
		}
		if tg.Active {
			args = append(args, "-P", "-")
		}
		if tg.NoEPSV {
			args = append(args, "--disable-epsv", "--disable-eprt")
		}
		args = append(args, st.args...) // a later --user wins
		args = append(args, scheme+tg.Addr+"/"+st.url)
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		cmd := exec.CommandContext(ctx, curl, args...)
		stderr, err := cmd.CombinedOutput()
		cancel()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("curl %s: %v", st.name, err)
		}
		for _, l := range strings.Split(string(stderr), "\n") {
			l = strings.TrimRight(l, "\r")
			if strings.HasPrefix(l, "> ") || strings.HasPrefix(l, "< ") {
				tr = append(tr, l)
			}
		}
		tr = append(tr, result(st.name, "exit "+strconv.Itoa(code)))
		if st.out {
			b, err := os.ReadFile(outFile)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			tr = append(tr, result(st.name+" output", strconv.Quote(string(b))))
		}
	}
	return tr
}
