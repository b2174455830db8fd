package admin

import (
	"bufio"
	"crypto/tls"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/server"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3.0 document describing the API (JSON).
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDoc)))
	_, _ = w.Write(openAPIDoc)
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds the probe connection of GET /api/ready?dial=true.
const readyTimeout = 3 * time.Second

type readyBody struct {
	Ready bool   `json:"ready"`
	FTP   string `json:"ftp"`             // the control address
	Dial  bool   `json:"dialed"`          // whether a probe connection was made
	Reply string `json:"reply,omitempty"` // the greeting the probe got
}

// ready answers 200 when the FTP server takes connections. With
// ?dial=true it also connects to the control port and reads the 220
// greeting; that connection is a session like any other (it gets a number
// and a journal entry), which is why it is not the default.
func (a *API) ready(w http.ResponseWriter, r *http.Request) {
	body := readyBody{FTP: a.srv.Addr()}
	if err := a.srv.Accepting(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	if dial, _ := strconv.ParseBool(r.URL.Query().Get("dial")); dial {
		body.Dial = true
		greeting, err := probeFTP(a.srv.Addr(), a.srv.Config().TLS == server.TLSImplicit, readyTimeout)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		body.Reply = greeting
	}
	body.Ready = true
	writeJSON(w, http.StatusOK, body)
}

// DialAddr turns a listen address into one to connect to: an unspecified
// host (":2121", "0.0.0.0:2121", "[::]:2121") becomes 127.0.0.1.
func DialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// probeFTP connects to an FTP control address, reads the greeting and
// says QUIT. It returns the greeting's first line when it is a 220.
func probeFTP(addr string, implicitTLS bool, timeout time.Duration) (string, error) {
	addr = DialAddr(addr)
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", fmt.Errorf("connect to the FTP server at %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if implicitTLS {
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a liveness probe of our own server
		if err := tc.Handshake(); err != nil {
			return "", fmt.Errorf("TLS handshake with the FTP server at %s: %w", addr, err)
		}
		conn = tc
	}
	line, err := readReply(bufio.NewReader(conn))
	if err != nil {
		return "", fmt.Errorf("read the greeting of the FTP server at %s: %w", addr, err)
	}
	if !strings.HasPrefix(line, "220") {
		return line, fmt.Errorf("the FTP server at %s greeted with %q, not 220", addr, line)
	}
	_, _ = conn.Write([]byte("QUIT\r\n"))
	return line, nil
}

// ProbeFTP is probeFTP for the mockftpd command's healthcheck.
func ProbeFTP(addr string, implicitTLS bool, timeout time.Duration) (string, error) {
	return probeFTP(addr, implicitTLS, timeout)
}

// readReply reads one FTP reply (following a multi-line one to its end)
// and returns its first line. It reads at most 64 lines.
func readReply(br *bufio.Reader) (string, error) {
	first := ""
	for i := 0; i < 64; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if i == 0 {
			first = line
			if len(line) < 4 || line[3] != '-' {
				return first, nil
			}
			continue
		}
		if len(line) >= 4 && line[:3] == first[:3] && line[3] == ' ' {
			return first, nil
		}
	}
	return first, fmt.Errorf("multi-line reply without an end")
}
