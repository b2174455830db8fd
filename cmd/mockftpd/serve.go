package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

type serveFlags struct {
	set            *flag.FlagSet
	listen         string
	root           string
	passivePorts   string
	publicHost     string
	tlsMode        string
	cert, key      string
	users          listFlag
	anonymous      bool
	scenarioFile   string
	replies        listFlag
	banner         string
	idleTimeout    time.Duration
	dataTimeout    time.Duration
	maxConnections int
	shutdownGrace  time.Duration
	logFormat      string
	logLevel       string
}

func newServeFlags(stderr io.Writer) *serveFlags {
	f := &serveFlags{set: flag.NewFlagSet("mockftpd", flag.ContinueOnError)}
	s := f.set
	s.SetOutput(stderr)
	s.StringVar(&f.listen, "listen", "127.0.0.1:2121", "control `address` to listen on")
	s.StringVar(&f.root, "root", "", "serve this host `directory` (jailed) instead of an in-memory filesystem")
	s.StringVar(&f.passivePorts, "passive-ports", "", "passive data port `range`, e.g. 30000-30009 (default: any free port)")
	s.StringVar(&f.publicHost, "public-host", "", "IPv4 `address` or host name advertised in PASV replies (Docker, NAT)")
	s.StringVar(&f.tlsMode, "tls", "explicit", "FTPS `mode`: none, explicit (AUTH TLS offered) or implicit")
	s.StringVar(&f.cert, "cert", "", "TLS certificate `file` (PEM); without one a self-signed certificate is made in memory")
	s.StringVar(&f.key, "key", "", "TLS private key `file` (PEM)")
	s.Var(&f.users, "user", "account `name:password[:/home]` (repeatable; env: comma-separated); without any, every login succeeds")
	s.BoolVar(&f.anonymous, "anonymous", false, "with -user, also let anonymous log in with any password")
	s.StringVar(&f.scenarioFile, "scenario", "", "scenario `file` (YAML or JSON) to serve")
	s.Var(&f.replies, "reply", "add a rule `VERB=CODE text`, e.g. 'STOR=452 Insufficient storage space' (repeatable; env: one per line)")
	s.StringVar(&f.banner, "banner", "", "text of the 220 greeting")
	s.DurationVar(&f.idleTimeout, "idle-timeout", 15*time.Minute, "close sessions idle this `long` with 421")
	s.DurationVar(&f.dataTimeout, "data-timeout", 30*time.Second, "how `long` to wait for a data connection")
	s.IntVar(&f.maxConnections, "max-connections", 1000, "most simultaneous control `connections`")
	s.DurationVar(&f.shutdownGrace, "shutdown-grace", 5*time.Second, "how `long` transfers in flight may finish at shutdown")
	s.StringVar(&f.logFormat, "log-format", "text", "log `format`: text or json")
	s.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug (every command and reply), info, warn, error")
	s.Usage = func() {
		out := s.Output()
		fmt.Fprintf(out, "Usage: mockftpd [flags]\n       mockftpd validate FILE...\n       mockftpd codes [-json]\n       mockftpd version\n\nFlags (each also from the environment as MOCKFTPD_<NAME>, e.g. MOCKFTPD_PASSIVE_PORTS):\n")
		s.PrintDefaults()
	}
	return f
}

// parse reads args, then fills every flag not given on the command line
// from its MOCKFTPD_ environment variable.
func (f *serveFlags) parse(args []string, env func(string) (string, bool)) error {
	if err := f.set.Parse(args); err != nil {
		return err
	}
	if f.set.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see mockftpd -help)", f.set.Arg(0))
	}
	given := map[string]bool{}
	f.set.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	var errs []error
	f.set.VisitAll(func(fl *flag.Flag) {
		if given[fl.Name] {
			return
		}
		name := "MOCKFTPD_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		v, ok := env(name)
		if !ok || v == "" {
			return
		}
		values := []string{v}
		switch fl.Name {
		case "user":
			values = strings.Split(v, ",")
		case "reply":
			values = strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n")
		}
		for _, one := range values {
			if one = strings.TrimSpace(one); one == "" {
				continue
			}
			if err := fl.Value.Set(one); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// config turns the flags into a server configuration.
func (f *serveFlags) config(logger *slog.Logger) (server.Config, error) {
	cfg := server.Config{
		Listen:         f.listen,
		Root:           f.root,
		PublicHost:     f.publicHost,
		Banner:         f.banner,
		IdleTimeout:    f.idleTimeout,
		DataTimeout:    f.dataTimeout,
		MaxConnections: f.maxConnections,
		CertFile:       f.cert,
		KeyFile:        f.key,
		AllowAnonymous: f.anonymous,
		ShutdownGrace:  f.shutdownGrace,
		Logger:         logger,
	}
	var err error
	if cfg.PassivePorts, err = server.ParsePortRange(f.passivePorts); err != nil {
		return cfg, err
	}
	if cfg.TLS, err = server.ParseTLSMode(f.tlsMode); err != nil {
		return cfg, err
	}
	if (f.cert == "") != (f.key == "") {
		return cfg, errors.New("-cert and -key go together")
	}
	for _, u := range f.users {
		user, err := server.ParseUser(u)
		if err != nil {
			return cfg, err
		}
		cfg.Users = append(cfg.Users, user)
	}
	sc := &scenario.Scenario{Version: scenario.FormatVersion, Name: "command line"}
	if f.scenarioFile != "" {
		if sc, err = scenario.Load(f.scenarioFile); err != nil {
			return cfg, err
		}
	}
	var rules []scenario.Rule
	for _, r := range f.replies {
		rule, err := parseReplyFlag(r)
		if err != nil {
			return cfg, err
		}
		rules = append(rules, rule)
	}
	if len(rules) > 0 {
		sc.Rules = append(rules, sc.Rules...)
	}
	if err := sc.Validate(); err != nil {
		return cfg, err
	}
	cfg.Scenario = sc
	return cfg, nil
}

// parseReplyFlag reads "VERB=CODE text" (VERB may be "*" or "A,B").
func parseReplyFlag(s string) (scenario.Rule, error) {
	verbs, rep, ok := strings.Cut(s, "=")
	rep = strings.TrimSpace(rep)
	codeText, text, _ := strings.Cut(rep, " ")
	code, err := strconv.Atoi(codeText)
	if !ok || strings.TrimSpace(verbs) == "" || err != nil || code < 100 || code > 699 {
		return scenario.Rule{}, fmt.Errorf("-reply %q: want VERB=CODE text, e.g. 'STOR=452 Insufficient storage space', with CODE from 100 to 699", s)
	}
	var cmds []string
	for _, v := range strings.Split(verbs, ",") {
		cmds = append(cmds, strings.ToUpper(strings.TrimSpace(v)))
	}
	return scenario.Rule{
		Name:  "-reply " + s,
		When:  scenario.Match{Commands: cmds},
		Steps: []scenario.Step{{Replies: []scenario.Reply{{Code: code, Text: strings.TrimSpace(text)}}}},
	}, nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	f := newServeFlags(stderr)
	if err := f.parse(args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "mockftpd:", err)
		return 2
	}
	logger, err := newLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd:", err)
		return 2
	}
	cfg, err := f.config(logger)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd:", err)
		return 2
	}
	srv, err := server.Start(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd:", err)
		return 1
	}
	<-ctx.Done()
	logger.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace+time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	logger.Info("stopped")
	return 0
}

// version is the module version when built from a tagged module, else the
// VCS revision, else "devel".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}
