// Package ftpprobe checks that an FTP server answers: it connects, reads
// the 220 greeting and says QUIT. The admin API's GET /api/ready?dial=true
// and the mockftpd healthcheck command use it.
package ftpprobe

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"
)

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

// Greeting connects to the FTP control address addr (a listen address is
// fine, see DialAddr), reads the greeting and says QUIT. It returns the
// greeting's first line when it is a 220. With implicitTLS it makes a TLS
// handshake first, without checking the certificate: it probes a liveness,
// not an identity. Everything happens within timeout.
func Greeting(addr string, implicitTLS bool, timeout time.Duration) (string, error) {
	addr = DialAddr(addr)
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", fmt.Errorf("connect to the FTP server at %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if implicitTLS {
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a liveness probe
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
