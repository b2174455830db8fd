package clientscript

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/internal/testtool"
)

//go:embed ftplib_session.py
var ftplibScript []byte

// runTimeout bounds one client run.
const runTimeout = 60 * time.Second

func runFTPLib(t testing.TB, tg Target) Transcript {
	t.Helper()
	python := testtool.Need(t, "python3", "apt-get install -y python3")
	script := filepath.Join(t.TempDir(), "ftplib_session.py")
	if err := os.WriteFile(script, ftplibScript, 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(tg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	cfg, _ := json.Marshal(map[string]any{
		"host": host, "port": p, "user": tg.User, "password": tg.Password,
		"bad_user": tg.BadUser, "bad_password": tg.BadPassword,
		"dir": tg.Dir, "file": tg.File, "active": tg.Active, "tls": tg.TLS, "no_tls_resume": tg.NoTLSResume,
	})
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, string(cfg))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ftplib session: %v\n%s\n%s", err, out, stderr.Bytes())
	}
	var tr Transcript
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var item []any
		if err := json.Unmarshal(sc.Bytes(), &item); err != nil || len(item) < 2 {
			t.Fatalf("ftplib session printed %q: %v", sc.Text(), err)
		}
		switch dir, _ := item[0].(string); {
		case dir == "=" && len(item) == 3:
			tr = append(tr, result(item[1].(string), jsonText(item[2])))
		default:
			tr = append(tr, dir+" "+item[1].(string))
		}
	}
	return tr
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
