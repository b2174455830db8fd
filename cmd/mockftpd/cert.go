package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/mockftpd/mockftpd/internal/certgen"
	"github.com/mockftpd/mockftpd/server"
)

// hostList is a repeatable, comma-separated flag of names and addresses.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*h = append(*h, x)
		}
	}
	return nil
}

// runCert writes a new self-signed certificate and its key as PEM, for
// mockftpd to serve (-cert, -key) and for clients to trust: to files, or
// both to standard output.
func runCert(args []string, stdout, stderr io.Writer) int {
	set := flag.NewFlagSet("mockftpd cert", flag.ContinueOnError)
	set.SetOutput(stderr)
	var hosts hostList
	set.Var(&hosts, "host", "a host `name` or address the certificate also covers, besides localhost, 127.0.0.1 and ::1 (repeatable or comma-separated), e.g. the Docker host's name")
	certOut := set.String("cert", "", "write the certificate (PEM) to this `file` (default: standard output, with the key)")
	keyOut := set.String("key", "", "write the private key (PEM) to this `file`, readable by its owner only")
	force := set.Bool("force", false, "replace files that exist")
	set.Usage = func() {
		fmt.Fprint(set.Output(), `Usage: mockftpd cert [-host NAME]... [-cert FILE -key FILE]

Writes a new self-signed certificate (ECDSA P-256, valid for a year) and its
private key as PEM: serve them with mockftpd -tls explicit (or implicit)
-cert FILE -key FILE, and have clients trust the certificate file.

`)
		set.PrintDefaults()
	}
	if err := set.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if set.NArg() > 0 {
		fmt.Fprintf(stderr, "mockftpd cert: unexpected argument %q\n", set.Arg(0))
		return 2
	}
	if (*certOut == "") != (*keyOut == "") {
		fmt.Fprintln(stderr, "mockftpd cert: -cert and -key go together (or neither: both to standard output)")
		return 2
	}
	certPEM, keyPEM, err := certgen.PEM(hosts...)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd cert:", err)
		return 1
	}
	names, err := certgen.Names(certPEM)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd cert:", err)
		return 1
	}
	if *certOut == "" {
		_, _ = stdout.Write(certPEM)
		_, _ = stdout.Write(keyPEM)
		fmt.Fprintf(stderr, "mockftpd cert: a certificate for %s, then its key, on standard output\n", strings.Join(names, ", "))
		return 0
	}
	if *certOut == *keyOut {
		fmt.Fprintln(stderr, "mockftpd cert: -cert and -key name the same file")
		return 2
	}
	if err := writeNew(*certOut, certPEM, 0o644, *force); err != nil {
		fmt.Fprintln(stderr, "mockftpd cert:", err)
		return 1
	}
	if err := writeNew(*keyOut, keyPEM, 0o600, *force); err != nil {
		_ = os.Remove(*certOut) // a certificate without its key is of no use
		fmt.Fprintln(stderr, "mockftpd cert:", err)
		return 1
	}
	fmt.Fprintf(stderr, "mockftpd cert: wrote %s (a certificate for %s) and %s (its key)\n", *certOut, strings.Join(names, ", "), *keyOut)
	fmt.Fprintf(stderr, "serve it:  mockftpd -tls explicit -cert %s -key %s\n", *certOut, *keyOut)
	for _, line := range trustHints(*certOut) {
		fmt.Fprintln(stderr, line)
	}
	return 0
}

// writeNew writes data to a file that must not exist yet (unless force).
func writeNew(path string, data []byte, perm os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, perm)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists (-force replaces it)", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// trustHints says how curl, lftp and Python's ftplib trust the
// certificate in certFile.
func trustHints(certFile string) []string {
	return []string{
		"trust it:  curl --cacert " + certFile + " --ssl-reqd ftp://127.0.0.1:2121/",
		"           lftp -e 'set ssl:ca-file " + certFile + "' -u user,pass ftp://127.0.0.1:2121",
		"           python3: ftplib.FTP_TLS(context=ssl.create_default_context(cafile=\"" + certFile + "\"))",
	}
}

// logTLSTrust says at start, when FTPS is on, how clients trust the
// server's certificate: the -cert file, or, for the one made in memory,
// how to make one they can trust (or skip verification).
func logTLSTrust(logger *slog.Logger, cfg server.Config) {
	switch {
	case cfg.TLS == server.TLSNone:
	case cfg.CertFile != "":
		logger.Info("FTPS certificate "+cfg.CertFile+": clients trust it so",
			"curl", "--cacert "+cfg.CertFile, "lftp", "set ssl:ca-file "+cfg.CertFile,
			"python", "ftplib.FTP_TLS(context=ssl.create_default_context(cafile=\""+cfg.CertFile+"\"))")
	default:
		logger.Info("FTPS with a self-signed certificate made in memory, which clients cannot verify: "+
			"make one they can trust with `mockftpd cert -cert mockftpd.pem -key mockftpd.key` and serve it with -cert mockftpd.pem -key mockftpd.key, "+
			"or have clients skip verification",
			"curl", "-k", "lftp", "set ssl:verify-certificate no", "python", "ftplib.FTP_TLS(context=ssl._create_unverified_context())")
	}
}
