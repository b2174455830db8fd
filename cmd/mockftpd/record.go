package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mockftpd/mockftpd/record"
	"github.com/mockftpd/mockftpd/scenario"
)

type recordFlags struct {
	set              *flag.FlagSet
	upstream         string
	listen           string
	out              string
	transcript       string
	tlsMode          string
	cert, key        string
	upstreamInsecure bool
	sessions         int
	keepPasswords    bool
	keepTiming       bool
	maxFileBytes     sizeFlag
	strict           bool
	name             string
	logFormat        string
	logLevel         string
}

func newRecordFlags(stderr io.Writer) *recordFlags {
	f := &recordFlags{set: flag.NewFlagSet("mockftpd record", flag.ContinueOnError), maxFileBytes: record.DefaultMaxFileBytes}
	s := f.set
	s.SetOutput(stderr)
	s.StringVar(&f.upstream, "upstream", "", "the real FTP server to record, `host:port` (required)")
	s.StringVar(&f.listen, "listen", "127.0.0.1:2121", "`address` clients connect to")
	s.StringVar(&f.out, "out", "", "scenario `file` to write (required); rewritten after every session")
	s.StringVar(&f.transcript, "transcript", "", "also write the full transcript as JSON to this `file` (passwords included)")
	s.StringVar(&f.tlsMode, "tls", "explicit", "FTPS `mode` on both sides: explicit (AUTH TLS relayed) or implicit")
	s.StringVar(&f.cert, "cert", "", "TLS certificate `file` (PEM) shown to clients; without one a self-signed certificate is made")
	s.StringVar(&f.key, "key", "", "TLS private key `file` (PEM)")
	s.BoolVar(&f.upstreamInsecure, "upstream-insecure", false, "accept the upstream's TLS certificate without checking it (self-signed servers)")
	s.IntVar(&f.sessions, "sessions", 0, "stop after this many `sessions` have ended (0: at SIGINT/SIGTERM)")
	s.BoolVar(&f.keepPasswords, "keep-passwords", false, "write the passwords clients sent into the scenario")
	s.BoolVar(&f.keepTiming, "keep-timing", false, "turn the upstream's reply delays into rule delays")
	s.Var(&f.maxFileBytes, "max-file-bytes", "largest file `size` whose content the scenario keeps; larger files get their size and generated content")
	s.BoolVar(&f.strict, "strict", false, "make the scenario strict: commands the recording did not cover get 502")
	s.StringVar(&f.name, "name", "", "scenario `name` (default: recorded from HOST:PORT)")
	s.StringVar(&f.logFormat, "log-format", "text", "log `format`: text or json")
	s.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	s.Usage = func() {
		out := s.Output()
		fmt.Fprintf(out, "Usage: mockftpd record -upstream HOST:PORT -out FILE.yaml [flags]\n\n"+
			"Relays FTP clients to a real server and writes a scenario that makes\n"+
			"mockftpd answer them the same way (serve it with mockftpd -scenario FILE.yaml).\n"+
			"Recording stops at SIGINT/SIGTERM or after -sessions sessions.\n\n"+
			"Flags (each also from the environment as MOCKFTPD_<NAME>):\n")
		s.PrintDefaults()
	}
	return f
}

// testRecording, set only by tests, learns the address runRecord listens on.
var testRecording func(addr string)

func runRecord(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	f := newRecordFlags(stderr)
	if err := f.set.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.set.NArg() > 0 {
		fmt.Fprintf(stderr, "mockftpd record: unexpected argument %q (see mockftpd record -help)\n", f.set.Arg(0))
		return 2
	}
	if err := fillFromEnv(f.set, env); err != nil {
		fmt.Fprintln(stderr, "mockftpd record:", err)
		return 2
	}
	logger, err := newLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd record:", err)
		return 2
	}
	cfg, err := f.config(logger)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd record:", err)
		return 2
	}
	if err := checkWritable(f.out); err != nil {
		fmt.Fprintln(stderr, "mockftpd record: -out:", err)
		return 1
	}
	if f.transcript != "" {
		if err := checkWritable(f.transcript); err != nil {
			fmt.Fprintln(stderr, "mockftpd record: -transcript:", err)
			return 1
		}
	}
	probe, err := net.DialTimeout("tcp", f.upstream, cfg.DialTimeout)
	if err != nil {
		fmt.Fprintf(stderr, "mockftpd record: cannot reach the upstream server %s: %v\n", f.upstream, err)
		return 1
	}
	_ = probe.Close()
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd record:", err)
		return 1
	}
	w := &recordWriter{f: f, log: logger, stop: make(chan struct{})}
	cfg.SessionEnded = w.sessionEnded
	p, err := record.New(cfg)
	if err != nil {
		_ = l.Close()
		fmt.Fprintln(stderr, "mockftpd record:", err)
		return 1
	}
	w.p = p
	served := make(chan error, 1)
	go func() { served <- p.Serve(l) }()
	logger.Info("recording", "listen", l.Addr().String(), "upstream", f.upstream, "out", f.out)
	if testRecording != nil {
		testRecording(l.Addr().String())
	}
	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("recording stopped by signal")
	case <-w.stop:
		logger.Info("recording stopped", "sessions", f.sessions)
	case serveErr = <-served:
		served <- serveErr
	}
	_ = p.Close()
	if err := <-served; err != nil {
		logger.Error("accepting connections", "err", err)
	}
	if err := w.write(); err != nil {
		fmt.Fprintln(stderr, "mockftpd record:", err)
		return 1
	}
	return 0
}

// config turns the flags into the proxy's configuration.
func (f *recordFlags) config(logger *slog.Logger) (record.Config, error) {
	cfg := record.Config{Upstream: f.upstream, MaxFileBytes: int64(f.maxFileBytes), Logger: logger}
	if f.upstream == "" {
		return cfg, errors.New("-upstream HOST:PORT is required")
	}
	if _, _, err := net.SplitHostPort(f.upstream); err != nil {
		return cfg, fmt.Errorf("-upstream %q: want host:port", f.upstream)
	}
	if f.out == "" {
		return cfg, errors.New("-out FILE.yaml is required")
	}
	switch f.tlsMode {
	case "explicit":
	case "implicit":
		cfg.ImplicitTLS = true
	default:
		return cfg, fmt.Errorf("-tls %q: want explicit or implicit", f.tlsMode)
	}
	if (f.cert == "") != (f.key == "") {
		return cfg, errors.New("-cert and -key go together")
	}
	if f.cert != "" {
		cert, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return cfg, fmt.Errorf("load TLS certificate: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if f.upstreamInsecure {
		cfg.UpstreamTLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with -upstream-insecure
	}
	if f.sessions < 0 {
		return cfg, errors.New("-sessions must not be negative")
	}
	cfg.DialTimeout = 10 * time.Second
	return cfg, nil
}

// recordWriter writes the scenario after every session, so that a crash
// or a kill loses nothing already recorded.
type recordWriter struct {
	f    *recordFlags
	log  *slog.Logger
	p    *record.Proxy
	stop chan struct{}

	mu       sync.Mutex // one write at a time
	ended    int
	stopOnce sync.Once
}

func (w *recordWriter) sessionEnded(s *record.Session) {
	w.log.Info("session ended", "session", s.Number, "client", s.Client, "commands", len(s.Exchanges), "end", s.End)
	if err := w.write(); err != nil {
		w.log.Error("writing the scenario (will try again at the next session)", "err", err)
	}
	w.mu.Lock()
	w.ended++
	done := w.f.sessions > 0 && w.ended >= w.f.sessions
	w.mu.Unlock()
	if done {
		w.stopOnce.Do(func() { close(w.stop) })
	}
}

// write writes the scenario (and the transcript) of everything recorded so
// far. When -out cannot be written, the scenario goes to a file in the
// temporary folder instead, and the error says where.
func (w *recordWriter) write() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.p == nil {
		return nil
	}
	tr := w.p.Transcript()
	rec := record.Scenario(tr, record.Options{
		Name: w.f.name, KeepPasswords: w.f.keepPasswords, KeepTiming: w.f.keepTiming,
		MaxFileBytes: int64(w.f.maxFileBytes), Strict: w.f.strict,
	})
	data, err := rec.Format()
	if err != nil {
		return fmt.Errorf("format the scenario: %w", err)
	}
	var errs []error
	if err := writeAtomic(w.f.out, data); err != nil {
		errs = append(errs, rescue(w.f.out, data, err))
	} else {
		w.log.Info("scenario written", "out", w.f.out, "sessions", len(tr.Sessions), "rules", len(rec.Rules), "files", len(rec.Files))
		if _, err := scenario.Parse(w.f.out, data); err != nil {
			w.log.Warn("the recorded scenario does not validate (a bug: please report it with the transcript)", "err", err)
		}
	}
	if w.f.transcript != "" {
		js, err := json.MarshalIndent(tr, "", "  ")
		if err == nil {
			err = writeAtomic(w.f.transcript, js)
		}
		if err != nil {
			errs = append(errs, rescue(w.f.transcript, js, err))
		}
	}
	return errors.Join(errs...)
}

// rescue writes data to a file in the temporary folder after writing it
// to path failed, and returns an error that says where it went.
func rescue(path string, data []byte, cause error) error {
	f, err := os.CreateTemp("", "mockftpd-record-*"+filepath.Ext(path))
	if err == nil {
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w (and the rescue copy failed: %v)", path, cause, err)
	}
	return fmt.Errorf("write %s: %w; what was recorded is in %s", path, cause, f.Name())
}

// writeAtomic replaces path with data: a reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// checkWritable fails early when path's folder does not take new files.
func checkWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	_ = tmp.Close()
	return os.Remove(tmp.Name())
}
