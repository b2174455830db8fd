package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/memfs"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/scenarios"
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
	users          usersFlag
	anonymous      bool
	scenarioFile   string
	replies        listFlag
	strict         bool
	banner         string
	dialect        string
	idleTimeout    time.Duration
	dataTimeout    time.Duration
	maxConnections int
	maxPerIP       int
	maxLineLength  int
	quota          sizeFlag
	maxFileSize    sizeFlag
	journalLimit   int
	journalBytes   sizeFlag
	shutdownGrace  time.Duration
	allowForeign   bool
	logFormat      string
	logLevel       string

	// scenario file handling
	scenarioOptional bool
	reload           bool
	reloadInterval   time.Duration

	// admin API
	admin               string
	adminToken          string
	adminTokenFile      string
	adminMaxFileSize    sizeFlag
	adminAllowHosts     listFlag
	adminMaxConnections int
}

// sizeFlag is a byte count written as 1048576, "64MiB" or "10MB".
type sizeFlag int64

func (s *sizeFlag) String() string { return scenario.FormatSize(int64(*s)) }
func (s *sizeFlag) Set(v string) error {
	n, err := scenario.ParseSize(v)
	if err != nil {
		return err
	}
	if n <= 0 {
		return fmt.Errorf("size %q must be more than 0", v)
	}
	*s = sizeFlag(n)
	return nil
}

func newServeFlags(stderr io.Writer) *serveFlags {
	f := &serveFlags{set: flag.NewFlagSet("mockftpd", flag.ContinueOnError)}
	s := f.set
	s.SetOutput(stderr)
	s.StringVar(&f.listen, "listen", "127.0.0.1:2121", "control `address` to listen on")
	s.StringVar(&f.root, "root", "", "serve this host `directory` (jailed) instead of an in-memory filesystem")
	s.StringVar(&f.passivePorts, "passive-ports", "", "passive data port `range`, e.g. 30000-30009 (default: free ports, kept for the next transfers)")
	s.StringVar(&f.publicHost, "public-host", "", "IPv4 `address` or host name advertised in PASV replies (Docker, NAT)")
	s.StringVar(&f.tlsMode, "tls", string(server.DefaultTLS), "FTPS `mode`: none, explicit (AUTH TLS offered) or implicit")
	s.StringVar(&f.cert, "cert", "", "TLS certificate `file` (PEM); without one a self-signed certificate is made in memory")
	s.StringVar(&f.key, "key", "", "TLS private key `file` (PEM)")
	s.Var(&f.users, "user", "account `name:password[:/home]` (repeatable; env: comma-separated, or one a line); a password with \":\" needs a home after it, e.g. carol:pa:ss:/ (\":/\" is the root); without any, every login succeeds")
	s.BoolVar(&f.anonymous, "anonymous", false, "with -user, also let anonymous log in with any password")
	s.StringVar(&f.scenarioFile, "scenario", "", "scenario `file` (YAML or JSON) to serve, or builtin:NAME for a ready-made one (mockftpd scenarios lists them)")
	s.Var(&f.replies, "reply", "add a rule `VERB=CODE text` or VERB /PATH=CODE text (PATH a glob of the path the command acts on), e.g. 'STOR=452 Insufficient storage space', 'RETR /data/*.csv=450 busy' (repeatable; env: one per line)")
	s.BoolVar(&f.strict, "strict", false, "answer every command no rule fires for with 502 and journal why (a strict replay, as settings.strict); QUIT still works")
	s.StringVar(&f.banner, "banner", server.DefaultBanner, "text of the 220 greeting (a scenario's settings.banner wins)")
	s.StringVar(&f.dialect, "dialect", "", "answer as this server `product` does: vsftpd, proftpd, pure-ftpd, filezilla-server, iis, serv-u, wu-ftpd (mockftpd dialects lists them; a scenario's settings.dialect wins)")
	s.DurationVar(&f.idleTimeout, "idle-timeout", server.DefaultIdleTimeout, "close sessions idle this `long` with 421 (a scenario's settings.idle_timeout wins)")
	s.DurationVar(&f.dataTimeout, "data-timeout", server.DefaultDataTimeout, "how `long` to wait for a data connection")
	s.IntVar(&f.maxConnections, "max-connections", server.DefaultMaxConnections, "most simultaneous control `connections`")
	s.IntVar(&f.maxPerIP, "max-connections-per-ip", 0, "most simultaneous control `connections` from one address (0: no cap)")
	s.IntVar(&f.maxLineLength, "max-line-length", server.DefaultMaxLineLength, "longest command line in `bytes` (longer ones get 500)")
	s.Var(&f.quota, "quota", "most `bytes` the in-memory filesystem stores, e.g. 100MiB (uploads past it get 552; default no cap)")
	f.maxFileSize = server.DefaultMaxFileSize
	s.Var(&f.maxFileSize, "max-file-size", "largest file `size` a client can make, e.g. 100GiB (a write or REST past it gets 552; also with -root; generated files in memory may be larger)")
	s.IntVar(&f.journalLimit, "journal-limit", server.DefaultJournalLimit, "most journal `entries` kept (the oldest go first)")
	f.journalBytes = server.DefaultJournalBytes
	s.Var(&f.journalBytes, "journal-bytes", "most `memory` the journal's entries take, e.g. 64MiB (the oldest go first)")
	s.DurationVar(&f.shutdownGrace, "shutdown-grace", server.DefaultShutdownGrace, "how `long` transfers in flight may finish at shutdown")
	s.BoolVar(&f.allowForeign, "allow-foreign-data-address", false, "let PORT/EPRT name another address than the client's, a port below 1024 or one of mockftpd's own ports (an FTP bounce, RFC 2577)")
	s.StringVar(&f.logFormat, "log-format", "text", "log `format`: text or json")
	s.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug (every command and reply), info, warn, error")
	s.BoolVar(&f.scenarioOptional, "scenario-optional", false, "with -scenario, a missing file is not an error: serve without a scenario until the file appears")
	s.BoolVar(&f.reload, "reload", true, "reload the -scenario file when it changes (checked every -reload-interval) and on SIGHUP")
	s.DurationVar(&f.reloadInterval, "reload-interval", 500*time.Millisecond, "how `often` to check the -scenario file for changes")
	s.StringVar(&f.admin, "admin", "", "serve the admin HTTP API, and its live page at /ui/, on this `address`, e.g. 127.0.0.1:8021 (a bare port means 127.0.0.1); beyond loopback it needs -admin-token")
	s.StringVar(&f.adminToken, "admin-token", "", "bearer `token` the admin API requires (prefer MOCKFTPD_ADMIN_TOKEN: a flag shows in ps)")
	s.StringVar(&f.adminTokenFile, "admin-token-file", "", "read the admin API token from this `file` (e.g. a Docker secret)")
	f.adminMaxFileSize = admin.DefaultMaxFileBytes
	s.Var(&f.adminMaxFileSize, "admin-max-file-size", "largest file `size` PUT /api/files accepts, e.g. 64MiB")
	s.Var(&f.adminAllowHosts, "admin-allow-host", "a host `name` the admin API answers to besides IP addresses and localhost, e.g. mockftpd (repeatable or comma-separated; \"*\": any, which needs a token)")
	s.IntVar(&f.adminMaxConnections, "admin-max-connections", defaultAdminMaxConnections, "most simultaneous admin API `connections`; more wait for one to close")
	s.Usage = func() {
		out := s.Output()
		fmt.Fprintf(out, "Usage: mockftpd [flags]\n       mockftpd validate FILE...\n       mockftpd record -upstream HOST:PORT -out FILE.yaml [flags]\n       mockftpd scenarios [-json] [TEXT...]\n       mockftpd scenarios show NAME\n       mockftpd dialects [show NAME...]\n       mockftpd codes [-json] [CODE|4xx...]\n       mockftpd healthcheck [flags]\n       mockftpd cert [-host NAME]... [-cert FILE -key FILE]\n       mockftpd version\n\nFlags (each also from the environment as MOCKFTPD_<NAME>, e.g. MOCKFTPD_PASSIVE_PORTS):\n")
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
	return fillFromEnv(f.set, env)
}

// fillFromEnv sets every flag of set not given on the command line from
// its MOCKFTPD_ environment variable (dashes become underscores).
func fillFromEnv(set *flag.FlagSet, env func(string) (string, bool)) error {
	given := map[string]bool{}
	set.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	var errs []error
	set.VisitAll(func(fl *flag.Flag) {
		if given[fl.Name] {
			return
		}
		name := "MOCKFTPD_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		v, ok := env(name)
		if !ok || v == "" {
			return
		}
		values := []string{strings.TrimSpace(v)}
		switch fl.Name {
		case "user":
			values = splitUsers(v)
		case "reply":
			values = strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n")
			for i := range values {
				values[i] = strings.TrimSpace(values[i])
			}
		case "admin-allow-host":
			values = strings.Split(v, ",")
			for i := range values {
				values[i] = strings.TrimSpace(values[i])
			}
		case "admin-token":
			// As it is: a blank or padded token is an error, not "no token".
			values = []string{v}
		}
		for _, one := range values {
			if one == "" {
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
		Listen:                  f.listen,
		Root:                    f.root,
		PublicHost:              f.publicHost,
		Banner:                  f.banner,
		Dialect:                 f.dialect,
		IdleTimeout:             f.idleTimeout,
		DataTimeout:             f.dataTimeout,
		MaxConnections:          f.maxConnections,
		MaxConnectionsPerIP:     f.maxPerIP,
		MaxLineLength:           f.maxLineLength,
		Quota:                   int64(f.quota),
		MaxFileSize:             int64(f.maxFileSize),
		JournalLimit:            f.journalLimit,
		JournalBytes:            int64(f.journalBytes),
		CertFile:                f.cert,
		KeyFile:                 f.key,
		AllowAnonymous:          f.anonymous,
		ShutdownGrace:           f.shutdownGrace,
		AllowForeignDataAddress: f.allowForeign,
		Strict:                  f.strict,
		Logger:                  logger,
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
	if f.dialect != "" {
		if err := dialect.Check(f.dialect); err != nil {
			return cfg, fmt.Errorf("-dialect (MOCKFTPD_DIALECT): %w", err)
		}
	}
	cfg.Users = append(cfg.Users, f.users...)
	sc, err := f.loadScenario(true)
	if err != nil {
		if !f.scenarioOptional || !errors.Is(err, fs.ErrNotExist) || f.builtin() {
			return cfg, err
		}
		logger.Warn("scenario file missing; serving without a scenario until it appears (-scenario-optional)", "file", f.scenarioFile)
		if sc, err = f.loadScenario(false); err != nil {
			return cfg, err
		}
	}
	cfg.Scenario = sc
	return cfg, nil
}

// loadScenario builds the scenario to serve: the -scenario file (when
// fromFile and one is given), with the -reply rules in front. A missing
// file's error matches fs.ErrNotExist.
func (f *serveFlags) loadScenario(fromFile bool) (*scenario.Scenario, error) {
	sc := &scenario.Scenario{Version: scenario.FormatVersion, Name: "command line"}
	if fromFile && f.scenarioFile != "" {
		if !f.builtin() {
			if _, err := os.Stat(f.scenarioFile); err != nil {
				return nil, fmt.Errorf("-scenario: %w", err)
			}
		}
		var err error
		if sc, err = scenarios.LoadFile(f.scenarioFile); err != nil {
			return nil, err
		}
	}
	var rules []scenario.Rule
	for _, r := range f.replies {
		rule, err := parseReplyFlag(r, sc.Settings.CustomCommands)
		if err != nil {
			return nil, err
		}
		rules = append(rules, rule)
	}
	if len(rules) > 0 {
		sc.Rules = append(rules, sc.Rules...)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

// builtin reports whether -scenario names a library scenario
// (builtin:NAME), which is part of the binary: never missing, never
// reloaded.
func (f *serveFlags) builtin() bool {
	_, ok := scenarios.Builtin(f.scenarioFile)
	return ok
}

// adminOptions checks the admin flags: the address (a bare port means
// loopback), the token (required beyond loopback), the host names and the
// limits.
func (f *serveFlags) adminOptions(logger *slog.Logger) (addr string, opts admin.Options, err error) {
	if f.admin == "" {
		if f.adminToken != "" || f.adminTokenFile != "" {
			logger.Warn("an admin token is set but the admin API is off (no -admin / MOCKFTPD_ADMIN)")
		}
		return "", opts, nil
	}
	addr = f.admin
	if _, err := strconv.Atoi(addr); err == nil {
		addr = "127.0.0.1:" + addr
	}
	token, tokenFrom := f.adminToken, "-admin-token (MOCKFTPD_ADMIN_TOKEN)"
	if f.adminTokenFile != "" {
		if token != "" {
			return "", opts, errors.New("-admin-token and -admin-token-file both set: give one")
		}
		b, err := os.ReadFile(f.adminTokenFile)
		if err != nil {
			return "", opts, fmt.Errorf("-admin-token-file: %w", err)
		}
		if token = strings.TrimSpace(string(b)); token == "" {
			return "", opts, fmt.Errorf("-admin-token-file %s is empty", f.adminTokenFile)
		}
		tokenFrom = "-admin-token-file " + f.adminTokenFile
	}
	if err := checkListen(addr, token); err != nil {
		return "", opts, fmt.Errorf("-admin (MOCKFTPD_ADMIN): %w; or switch the admin API off with an empty -admin / MOCKFTPD_ADMIN", err)
	}
	if f.adminMaxConnections < 1 {
		return "", opts, fmt.Errorf("-admin-max-connections %d: want 1 or more", f.adminMaxConnections)
	}
	opts = admin.Options{Token: token, MaxFileBytes: int64(f.adminMaxFileSize), Logger: logger.With("component", "admin")}
	for _, h := range f.adminAllowHosts {
		for _, one := range strings.Split(h, ",") {
			opts.AllowedHosts = append(opts.AllowedHosts, strings.TrimSpace(one))
		}
	}
	// The name the API listens on is one its clients use.
	if host, _, _ := net.SplitHostPort(addr); host != "" && net.ParseIP(host) == nil {
		opts.AllowedHosts = append(opts.AllowedHosts, host)
	}
	if err := opts.Validate(); err != nil {
		msg := strings.ReplaceAll(err.Error(), "the admin token", tokenFrom)
		msg = strings.ReplaceAll(msg, "allowed host", "-admin-allow-host (MOCKFTPD_ADMIN_ALLOW_HOST)")
		return "", opts, errors.New(msg)
	}
	return addr, opts, nil
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
	hup := make(chan os.Signal, 1)
	notifyHangup(hup)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	hupDone := make(chan struct{})
	defer func() { <-hupDone }()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(hupDone)
		for {
			select {
			case <-sctx.Done():
				return
			case <-hup:
				select {
				case reload <- struct{}{}:
				default: // a reload is already pending
				}
			}
		}
	}()
	return serve(sctx, f, logger, stderr, reload, testStarted)
}

// testStarted, set only by tests, learns the server runServe started.
var testStarted func(srv *server.Server, adminAddr string)

// serve runs the server until ctx ends. reload asks for the -scenario file
// to be read again (SIGHUP); started, when not nil, is called once the
// server (and the admin API, whose address it gets) is up.
func serve(ctx context.Context, f *serveFlags, logger *slog.Logger, stderr io.Writer, reload <-chan struct{}, started func(srv *server.Server, adminAddr string)) int {
	adminAddr, adminOpts, err := f.adminOptions(logger)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd:", err)
		return 2
	}
	// The file is stamped before it is loaded: a change in between is
	// seen by the watcher rather than lost.
	var watch *watcher
	if f.scenarioFile != "" && f.reload && !f.builtin() {
		watch = newWatcher(f.scenarioFile, f.reloadInterval, logger)
		watch.stampNow()
	}
	cfg, err := f.config(logger)
	if err != nil {
		fmt.Fprintln(stderr, "mockftpd:", err)
		return 2
	}
	var adminLn net.Listener
	if adminAddr != "" {
		// Listen before the FTP server starts so a busy port fails fast.
		if adminLn, err = net.Listen("tcp", adminAddr); err != nil {
			fmt.Fprintf(stderr, "mockftpd: admin API: listen on %s: %v\n", adminAddr, err)
			return 1
		}
		cfg.AdminAddr = adminLn.Addr().String() // active mode may not name it
	}
	srv, err := server.Start(cfg)
	if err != nil {
		if adminLn != nil {
			_ = adminLn.Close()
		}
		fmt.Fprintln(stderr, "mockftpd:", err)
		return 1
	}

	logTLSTrust(logger, cfg)
	var wg sync.WaitGroup
	if mfs, ok := srv.Fs().(*memfs.Fs); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			releaseMemory(ctx, mfs)
		}()
	}
	var hs *http.Server
	if adminLn != nil {
		api := admin.New(srv, adminOpts)
		hs = newAdminServer(api, logger)
		// the page's live streams would hold Shutdown for its whole grace
		hs.RegisterOnShutdown(api.EndStreams)
		ln := newLimitListener(adminLn, f.adminMaxConnections, logger)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("admin API stopped", "err", err)
			}
		}()
		logger.Info("admin API listening", "addr", adminLn.Addr().String(), "token", adminOpts.Token != "")
		// The token is never printed (logs are often shared): the page asks
		// for it, or takes it from the address's fragment (#token=...).
		logger.Info("live page: open it in a browser", "url", pageURL(adminLn.Addr().String()), "token", tokenHint(adminOpts.Token != ""))
	}
	if watch != nil {
		watch.load = func() (*scenario.Scenario, error) { return f.loadScenario(true) }
		watch.apply = srv.ReplaceScenario
		wg.Add(1)
		go func() {
			defer wg.Done()
			watch.run(ctx, reload)
		}()
	} else {
		// Without a watcher, SIGHUP only says why nothing happens.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-reload:
					logger.Warn("SIGHUP: nothing to reload (no -scenario file, a builtin: scenario, or -reload=false)")
				}
			}
		}()
	}
	if started != nil {
		a := ""
		if adminLn != nil {
			a = adminLn.Addr().String()
		}
		started(srv, a)
	}

	<-ctx.Done()
	logger.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace+time.Second)
	defer cancel()
	if hs != nil {
		if err := hs.Shutdown(sctx); err != nil {
			_ = hs.Close()
		}
	}
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	wg.Wait()
	logger.Info("stopped")
	return 0
}

// buildVersion is set at link time (-ldflags "-X main.buildVersion=v1.2.3"),
// e.g. by the Dockerfile's VERSION build argument.
var buildVersion string

// version is buildVersion when set, else the module version when built
// from a tagged module, else the VCS revision, else "devel".
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
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
