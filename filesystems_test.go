package mockftpd_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/server"
)

// adminPut starts a server on cfg with its admin API and sends one PUT
// /api/files request; it returns the status and body.
func adminPut(t *testing.T, cfg server.Config, path, body string) (int, string) {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	srv, err := server.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hs := httptest.NewServer(admin.New(srv, admin.Options{}))
	t.Cleanup(hs.Close)
	req, err := http.NewRequest(http.MethodPut, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	hs.Client().CloseIdleConnections()
	return resp.StatusCode, string(b)
}

// TestAdminFilesRefuseLineBreaks: PUT /api/files cannot make a name with
// CR or LF (it would forge FTP reply lines), in memory or in -root.
func TestAdminFilesRefuseLineBreaks(t *testing.T) {
	for _, root := range []string{"", t.TempDir()} {
		code, body := adminPut(t, server.Config{Root: root}, "/api/files/d2/a%0d%0a212%20forged", "x")
		if code < 400 || code >= 500 {
			t.Errorf("root %q: PUT of a name with CR LF: %d %s", root, code, body)
		}
		if root != "" {
			if entries, _ := os.ReadDir(filepath.Join(root, "d2")); len(entries) != 0 {
				t.Errorf("%d files made", len(entries))
			}
		}
	}
}

// TestAdminFilesDanglingSymlink: with -root, PUT /api/files through a
// symbolic link out of the root is refused and makes nothing outside.
func TestAdminFilesDanglingSymlink(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "elsewhere")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "newfile"), filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	code, body := adminPut(t, server.Config{Root: root}, "/api/files/dangling", "planted")
	if code < 400 || strings.Contains(body, base) {
		t.Errorf("PUT through a dangling link: %d %s", code, body)
	}
	if _, err := os.Stat(filepath.Join(outside, "newfile")); err == nil {
		t.Error("PUT created a file outside the root")
	}
}
