// Package testcontainers_test shows mockftpd in a Go test through
// testcontainers-go: the image is built from the repository's Dockerfile
// (or taken from MOCKFTPD_IMAGE), started with its admin API, and a test
// scripts a failure through the API and watches the client meet it.
//
// It needs a Docker engine; without one the test is skipped.
//
//	cd examples/testcontainers && go test ./...
//	MOCKFTPD_IMAGE=mockftpd:latest go test ./...   # use an image built before
package testcontainers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

const token = "testcontainers-token"

// Passive data ports are advertised in 227 replies as they are inside the
// container, so they are published 1:1 (the image's default range). Two
// containers at once would need two ranges: set MOCKFTPD_PASSIVE_PORTS.
const passiveFirst, passiveLast = 30000, 30009

// mockFTPD is a running container.
type mockFTPD struct {
	ftpAddr  string // host:port of the FTP control port
	adminURL string // http://host:port of the admin API
}

func startMockFTPD(t *testing.T) *mockFTPD {
	t.Helper()
	testcontainers.SkipIfProviderIsNotHealthy(t)
	ctx := context.Background()

	image := os.Getenv("MOCKFTPD_IMAGE")
	var opts []testcontainers.ContainerCustomizer
	if image == "" {
		opts = append(opts, testcontainers.WithDockerfile(testcontainers.FromDockerfile{
			Context:   "../..", // the repository root
			KeepImage: true,
		}))
	}
	exposed := []string{"2121/tcp", "8021/tcp", fmt.Sprintf("%d-%d/tcp", passiveFirst, passiveLast)}
	opts = append(opts,
		testcontainers.WithExposedPorts(exposed...),
		testcontainers.WithEnv(map[string]string{
			"MOCKFTPD_ADMIN_TOKEN": token,
			// The address the client reaches the passive ports on: the
			// Docker host, seen from this test (127.0.0.1 for a local engine).
			"MOCKFTPD_PUBLIC_HOST": "127.0.0.1",
		}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			if hc.PortBindings == nil {
				hc.PortBindings = network.PortMap{}
			}
			for p := passiveFirst; p <= passiveLast; p++ {
				port := network.MustParsePort(fmt.Sprintf("%d/tcp", p))
				hc.PortBindings[port] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: fmt.Sprint(p)}}
			}
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/api/ready").WithPort("8021/tcp").WithStartupTimeout(2*time.Minute)),
	)
	ctr, err := testcontainers.Run(ctx, image, opts...)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("start mockftpd: %v", err)
	}
	host, err := ctr.Host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ftpPort, err := ctr.MappedPort(ctx, "2121/tcp")
	if err != nil {
		t.Fatal(err)
	}
	adminPort, err := ctr.MappedPort(ctx, "8021/tcp")
	if err != nil {
		t.Fatal(err)
	}
	return &mockFTPD{
		ftpAddr:  net.JoinHostPort(host, ftpPort.Port()),
		adminURL: "http://" + net.JoinHostPort(host, adminPort.Port()),
	}
}

// admin calls the admin API and returns the status and body.
func (m *mockFTPD) admin(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, m.adminURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestUploadMeetsAFullDisk(t *testing.T) {
	m := startMockFTPD(t)

	// Script the failure: every STOR is answered 452.
	if code, body := m.admin(t, "POST", "/api/rules", "when: {command: STOR}\nreply: 452 Insufficient storage space\n"); code != http.StatusCreated {
		t.Fatalf("POST /api/rules: %d %s", code, body)
	}

	c, err := ftp.Dial(m.ftpAddr, ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("demo", "demo"); err != nil {
		t.Fatal(err)
	}
	err = c.Stor("/report.csv", strings.NewReader("a,b\n1,2\n"))
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code != 452 {
		t.Fatalf("STOR: %v, want 452", err)
	}

	// The journal shows what the server answered.
	code, body := m.admin(t, "GET", "/api/journal?command=STOR", "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/journal: %d %s", code, body)
	}
	var journal struct {
		Entries []struct {
			Command string `json:"command"`
			Codes   []int  `json:"codes"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(body, &journal); err != nil {
		t.Fatal(err)
	}
	if len(journal.Entries) != 1 || journal.Entries[0].Codes[0] != 452 {
		t.Fatalf("journal: %s", body)
	}

	// Without the rule, the same upload lands, and the API can read it.
	if code, body := m.admin(t, "DELETE", "/api/rules", ""); code != http.StatusOK {
		t.Fatalf("DELETE /api/rules: %d %s", code, body)
	}
	if err := c.Stor("/report.csv", strings.NewReader("a,b\n1,2\n")); err != nil {
		t.Fatal(err)
	}
	if code, body := m.admin(t, "GET", "/api/files/report.csv", ""); code != http.StatusOK || string(body) != "a,b\n1,2\n" {
		t.Fatalf("GET /api/files/report.csv: %d %q", code, body)
	}
}
