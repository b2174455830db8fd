package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/internal/ftpprobe"
	"github.com/mockftpd/mockftpd/server"
)

// runHealthcheck exits 0 when the server is up: the admin API's
// /api/ready answers 200 when the admin API is on, else an FTP connection
// to -listen gets a 220 greeting. It needs nothing but this binary, so it
// works as a HEALTHCHECK in an image without curl. It reads the same
// MOCKFTPD_ variables as the server.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	set := flag.NewFlagSet("mockftpd healthcheck", flag.ContinueOnError)
	set.SetOutput(stderr)
	adminAddr := set.String("admin", "", "admin API `address` to ask /api/ready (default: none, check the FTP port)")
	token := set.String("admin-token", "", "admin API bearer `token`")
	tokenFile := set.String("admin-token-file", "", "read the admin API token from this `file`")
	listen := set.String("listen", "127.0.0.1:2121", "FTP control `address` to connect to when there is no admin API")
	tlsMode := set.String("tls", string(server.DefaultTLS), "FTPS `mode` of the server (implicit needs a TLS handshake before the greeting)")
	timeout := set.Duration("timeout", 5*time.Second, "give up after this `long`")
	set.Usage = func() {
		fmt.Fprintf(set.Output(), "Usage: mockftpd healthcheck [flags]\n\nExits 0 when the server is up. Flags (each also from the environment as MOCKFTPD_<NAME>):\n")
		set.PrintDefaults()
	}
	if err := set.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if set.NArg() > 0 {
		fmt.Fprintf(stderr, "mockftpd healthcheck: unexpected argument %q\n", set.Arg(0))
		return 2
	}
	if err := fillFromEnv(set, env); err != nil {
		fmt.Fprintln(stderr, "mockftpd healthcheck:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if *adminAddr != "" {
		addr := *adminAddr
		if _, err := strconv.Atoi(addr); err == nil {
			addr = "127.0.0.1:" + addr
		}
		tok := *token
		if tok == "" && *tokenFile != "" {
			b, err := os.ReadFile(*tokenFile)
			if err != nil {
				fmt.Fprintln(stderr, "mockftpd healthcheck:", err)
				return 1
			}
			tok = strings.TrimSpace(string(b))
		}
		url := "http://" + ftpprobe.DialAddr(addr) + "/api/ready"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			fmt.Fprintln(stderr, "mockftpd healthcheck:", err)
			return 2
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintf(stderr, "mockftpd healthcheck: %s: %v\n", url, err)
			return 1
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintf(stderr, "mockftpd healthcheck: %s: %s: %s\n", url, resp.Status, strings.TrimSpace(string(body)))
			return 1
		}
		fmt.Fprintf(stdout, "ok: %s answered %s\n", url, resp.Status)
		return 0
	}

	mode, err := server.ParseTLSMode(*tlsMode)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd healthcheck:", err)
		return 2
	}
	deadline, _ := ctx.Deadline()
	greeting, err := ftpprobe.Greeting(*listen, mode == server.TLSImplicit, time.Until(deadline))
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd healthcheck:", err)
		return 1
	}
	fmt.Fprintf(stdout, "ok: %s greeted %q\n", ftpprobe.DialAddr(*listen), greeting)
	return 0
}
