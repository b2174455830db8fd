package admin_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/admin"
)

// backends are the two filesystems a server serves: memory and a host
// directory (whose path is returned, "" for memory).
func backends(t *testing.T) map[string]func() (string, []ftpOption) {
	return map[string]func() (string, []ftpOption){
		"memory": func() (string, []ftpOption) { return "", nil },
		"root": func() (string, []ftpOption) {
			dir := t.TempDir()
			return dir, []ftpOption{hostRoot(dir)}
		},
	}
}

// leftovers lists the names in dir of the served filesystem that are not
// want.
func (e *env) leftovers(dir string, want ...string) []string {
	e.t.Helper()
	var listing struct{ Entries []struct{ Name string } }
	r := e.expect(200, "GET", "/api/files"+dir, "")
	if err := (response{body: r.body}).jsonInto(&listing); err != nil {
		e.t.Fatal(err)
	}
	var extra []string
	for _, en := range listing.Entries {
		found := false
		for _, w := range want {
			found = found || en.Name == w
		}
		if !found {
			extra = append(extra, en.Name)
		}
	}
	return extra
}

// TestPutFileFailureKeepsTheFile: a PUT /api/files that fails (a body
// over the limit, declared or not, one that stops early, one that stalls)
// leaves the file it would have replaced as it was, in memory and in a
// host directory, and leaves nothing else behind.
func TestPutFileFailureKeepsTheFile(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			dir, opts := backend()
			e := newEnv(t, admin.Options{MaxFileBytes: 100 << 10}, opts...)
			admin.SetTransferWindow(e.api, 300*time.Millisecond)
			e.expect(201, "PUT", "/api/files/d/keep.txt", "original")
			check := func(what string) {
				t.Helper()
				if got := e.expect(200, "GET", "/api/files/d/keep.txt", "").body; string(got) != "original" {
					t.Fatalf("after %s: the file holds %q", what, got)
				}
				if extra := e.leftovers("/d", "keep.txt"); len(extra) > 0 {
					t.Fatalf("after %s: left behind %v", what, extra)
				}
				if dir != "" {
					if b, err := os.ReadFile(filepath.Join(dir, "d", "keep.txt")); err != nil || string(b) != "original" {
						t.Fatalf("after %s: host file %q %v", what, b, err)
					}
				}
			}

			r := e.expect(413, "PUT", "/api/files/d/keep.txt", strings.Repeat("x", 100<<10+1))
			if !strings.Contains(string(r.body), "unchanged") {
				t.Errorf("413: %s", r.body)
			}
			check("a declared length over the limit")

			// no length: the limit is found while the body is written
			e.forgetServed()
			r = e.do("PUT", "/api/files/d/keep.txt", io.MultiReader(strings.NewReader(strings.Repeat("y", 300<<10))))
			if r.code != 413 || !strings.Contains(string(r.body), "unchanged") {
				t.Fatalf("chunked over the limit: %d %s", r.code, r.body)
			}
			e.waitServed("PUT /api/files/d/keep.txt")
			check("a chunked body over the limit")

			// the client goes away in the middle of the body
			e.forgetServed()
			c := e.rawRequest("PUT /api/files/d/keep.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000\r\n", strings.Repeat("z", 20000))
			_ = c.Close()
			e.waitServed("PUT /api/files/d/keep.txt")
			check("a body that stops early")

			// the client stalls in the middle of the body
			e.forgetServed()
			c = e.rawRequest("PUT /api/files/d/keep.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000\r\n", strings.Repeat("z", 20000))
			resp, body, _ := readResponse(t, c, &http.Request{Method: "PUT"})
			if resp.StatusCode != 400 || !strings.Contains(body, "stopped after 20000 bytes (it stalled") || !strings.Contains(body, "unchanged") {
				t.Fatalf("stalled body: %d %s", resp.StatusCode, body)
			}
			e.waitServed("PUT /api/files/d/keep.txt")
			check("a body that stalls")

			// a new file that fails is not made at all
			e.forgetServed()
			c = e.rawRequest("PUT /api/files/d/new.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000\r\n", "abc")
			_ = c.Close()
			e.waitServed("PUT /api/files/d/new.txt")
			e.expect(404, "GET", "/api/files/d/new.txt", "")
			check("a new file that fails")

			// and one that works replaces it whole
			if dir != "" {
				if err := os.Chmod(filepath.Join(dir, "d", "keep.txt"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			e.expect(200, "PUT", "/api/files/d/keep.txt", "replaced")
			if got := e.expect(200, "GET", "/api/files/d/keep.txt", "").body; string(got) != "replaced" {
				t.Fatalf("replaced: %q", got)
			}
			if extra := e.leftovers("/d", "keep.txt"); len(extra) > 0 {
				t.Fatalf("left behind %v", extra)
			}
			if dir != "" {
				if st, err := os.Stat(filepath.Join(dir, "d", "keep.txt")); err != nil || st.Mode().Perm() != 0o600 {
					t.Fatalf("the replaced host file's mode: %v %v", st.Mode(), err)
				}
			}
		})
	}
}

// TestTransfersMustMove: a large upload or download at a sane rate goes
// past the transfer window; a client that stops reading a download is cut.
func TestTransfersMustMove(t *testing.T) {
	e := newEnv(t, admin.Options{MaxFileBytes: 64 << 20})
	admin.SetTransferWindow(e.api, 500*time.Millisecond)
	// 32 MiB: more than loopback socket buffers hold
	big := strings.Repeat("0123456789abcdef", 2<<20)

	// an upload in pieces, each well within the window
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(big); i += 2 << 20 {
			if _, err := pw.Write([]byte(big[i : i+2<<20])); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		_ = pw.Close()
	}()
	if r := e.do("PUT", "/api/files/big.bin", pr); r.code != 201 {
		t.Fatalf("slow upload: %d %s", r.code, r.body)
	}

	// a download read in pieces, slower in all than the window
	req, _ := http.NewRequest("GET", e.http.URL+"/api/files/big.bin", nil)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, &slowReader{r: resp.Body})
	resp.Body.Close()
	if err != nil || n != int64(len(big)) {
		t.Fatalf("download: %d bytes, %v", n, err)
	}

	// a client that reads nothing is cut
	e.forgetServed()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /api/files/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	e.waitServed("GET /api/files/big.bin") // the handler ends without waiting for the client
	_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
	got, _ := io.Copy(io.Discard, conn)
	if got >= int64(len(big)) {
		t.Fatalf("a client that did not read got the whole file (%d bytes)", got)
	}
}

// slowReader pauses 100ms after each 2 MiB.
type slowReader struct {
	r    io.Reader
	n    int
	next int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.n >= s.next {
		s.next += 2 << 20
		time.Sleep(100 * time.Millisecond)
	}
	n, err := s.r.Read(p)
	s.n += n
	return n, err
}
