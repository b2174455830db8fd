package server

import (
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// A dialect (package dialect) is spoken beneath the scenario: its
// settings part fills in what the scenario's settings leave empty
// (withDialect), and the engine rewrites the replies no rule scripts to
// the dialect's reply for the command's outcome (speakLocked), formats
// listings as the product does (dialectListing, through the transfer's
// content source) and applies its FTPS and ASCII rules. The dialect in
// force is part of the resolved settings (effective.dialect): sessions
// read it per command, so a new scenario's dialect applies at once.

// withDialect puts the dialect in force (the scenario's settings.dialect,
// else cfg.Dialect) beneath sc's own settings, in place: the greeting
// (unless it needs a value only a session knows), SYST, FEAT and the
// ASCII mode fill in what sc leaves empty, and the commands the product
// lacks join settings.disable. sc is the server's own normalized copy;
// cfg is only read. An unknown cfg.Dialect is an error (the scenario's
// was checked by Normalize).
func withDialect(sc *scenario.Scenario, cfg *Config) error {
	name := sc.Settings.Dialect
	if name == "" {
		name = cfg.Dialect
	}
	if name == "" {
		return nil
	}
	d, ok := dialect.Lookup(name)
	if !ok {
		return dialect.Check(name)
	}
	sc.Settings.Dialect = d.Name
	host, _, _ := net.SplitHostPort(cfg.Listen)
	if cfg.PublicHost != "" {
		host = cfg.PublicHost
	}
	ds := d.Settings(cfg.TLS != TLSNone, dialect.Vars{"server": host})
	set := &sc.Settings
	if set.Banner == "" {
		set.Banner = ds.Banner
	}
	if set.Syst == "" {
		set.Syst = ds.Syst
	}
	if len(set.Features) == 0 {
		set.Features = ds.Features
	}
	if set.ASCII == "" {
		// a product that moves bytes as stored in TYPE A answers SIZE and
		// REST as in TYPE I; one that converts is served by ftpserverlib's
		// conversion, its refusals in the product's words
		set.ASCII = scenario.ASCIIIgnore
		if d.ASCII.Convert {
			set.ASCII = scenario.ASCIIConvert
		}
	}
	for _, v := range ds.Disable {
		if !slices.Contains(set.Disable, v) {
			set.Disable = append(set.Disable, v)
		}
	}
	return nil
}

// dialectState is what a session keeps for the dialect's replies; the
// session's lock guards it.
type dialectState struct {
	binary    bool      // the client's TYPE I (or L 8) is in force: sessions start in TYPE A (RFC 959)
	rest      int64     // the last REST offset accepted, until the next transfer
	fsErr     error     // the filesystem's last error for the command under way
	prelim    bool      // the engine sent the 1xx of the transfer under way itself
	started   bool      // the transfer under way had its 1xx
	noReuse   bool      // the transfer's data connection did not resume the TLS session
	endAfter  string    // the session ends after the reply being sent, for this reason
	listCount int       // the entries the last dialect listing sent
	listOpts  string    // its options, as pure-ftpd shows them
	began     time.Time // when the transfer under way had its 1xx
	in, out   int64     // the bytes the session's transfers moved, each way
}

// ascii reports whether the session is in TYPE A.
func (st *dialectState) ascii() bool { return !st.binary }

// dialectIn is the dialect in force, or nil.
func (s *session) dialectIn() *dialect.Dialect { return s.srv.effective().dialect }

// speaks reports whether the dialect rewrites cmd's final (or
// preliminary) reply: rules win, and so do the engine's own complete
// answers (a strict replay's refusal, a reply the dialect gave itself).
func speaks(cmd *command, final bool) bool {
	if cmd == nil || cmd.internal || cmd.own {
		return false
	}
	st := cmd.step
	if st == nil {
		return true
	}
	if final {
		return len(st.Final) == 0 && st.Data == nil && len(st.Replies) == 0
	}
	return len(st.Preliminary) == 0
}

// speakLocked is cmd's final reply r (from ftpserverlib or the engine) as
// the dialect in force answers it: its reply for the command's outcome,
// the variables filled in. A reply the dialect has no text for stays.
func (s *session) speakLocked(cmd *command, r reply) reply {
	d := s.dialectIn()
	if d == nil || !speaks(cmd, true) || r.raw != nil {
		return r
	}
	verb := cmd.verb
	if verb == journal.Connect {
		return s.greetingLocked(d, r)
	}
	vars := s.varsLocked(d, cmd, r)
	if isUnknown(r) || !d.Knows(verb) {
		if d.Unknown == "" {
			return r
		}
		return dialectReply(d.Unknown.Expand(vars).Expand(d.Defaults))
	}
	if verb == "FEAT" && r.code == 211 && d.Feat.Header != "" {
		return s.featLocked(d, r)
	}
	outcome := s.outcomeLocked(d, cmd, r)
	started := s.dia.started
	s.dia.fsErr = nil
	vars["strerror"] = dialect.StrError(outcome)
	switch {
	case verb == "STAT" && cmd.arg == "" && r.code == 211:
		outcome = dialect.OK
	case verb == "MLST" && outcome == dialect.OK:
		vars["facts"] = s.mlstFactsLocked(d, cmd.arg, vars["path"])
	case isListing(verb) && outcome == dialect.OK:
		vars["count"], vars["options"] = strconv.Itoa(s.dia.listCount), s.dia.listOpts
	}
	if outcome == dialect.NoReuse && d.TLS.CloseAfterNoReuse {
		s.dia.endAfter = journal.ReasonServerClosed
	}
	if isTransfer(verb) {
		s.transferVarsLocked(cmd, vars)
		s.dia.rest, s.dia.prelim, s.dia.noReuse, s.dia.started = 0, false, false, false
	}
	out, ok := d.Reply(verb, outcome, vars)
	if !ok {
		return r
	}
	if failed := r.code >= 400 && outcome != dialect.OK; failed && isTransfer(verb) && d.After(verb, outcome) && !started {
		// the product opens the data connection before it looks at the
		// path: the 1xx, an empty data connection, then the failure
		s.emitLocked(cmd, s.startLocked(d, cmd, vars))
		s.dropDataAsync()
	}
	return dialectReply(out)
}

// afterSpeakLocked ends the session after cmd's final reply when the
// dialect says so (vsftpd after a TLS session not resumed).
func (s *session) afterSpeakLocked() {
	if why := s.dia.endAfter; why != "" {
		s.dia.endAfter = ""
		s.endLocked(why, closeFIN)
	}
}

// isUnknown reports whether r is ftpserverlib's reply to a command it
// does not know.
func isUnknown(r reply) bool {
	return r.code == 500 && strings.HasPrefix(r.text(), "Unknown command")
}

// dialectReply is a dialect's reply as the engine sends it.
func dialectReply(r dialect.Reply) reply {
	return reply{code: r.Code(), lines: r.Lines()}
}

// speakPrelimLocked is a transfer's 1xx reply r as the dialect says it,
// and whether it is sent at all (not when the engine sent the 1xx itself).
func (s *session) speakPrelimLocked(cmd *command, r reply) (reply, bool) {
	d := s.dialectIn()
	if d == nil || !speaks(cmd, false) {
		return r, true
	}
	if s.dia.prelim {
		return r, false
	}
	s.dia.started, s.dia.began = true, time.Now()
	return s.startLocked(d, cmd, s.varsLocked(d, cmd, r)), true
}

// startLocked is the 1xx of cmd's transfer in the dialect: "open" in
// passive mode when the product has it (clients open a passive data
// connection before the command), "active" in active mode, else "start".
func (s *session) startLocked(d *dialect.Dialect, cmd *command, vars dialect.Vars) reply {
	outcome := dialect.Start
	switch s.dataMode {
	case "PASV", "EPSV":
		if _, ok := d.Reply(cmd.verb, dialect.AlreadyOpen, vars); ok {
			outcome = dialect.AlreadyOpen
		}
	case "PORT", "EPRT":
		if _, ok := d.Reply(cmd.verb, dialect.ActiveStart, vars); ok {
			outcome = dialect.ActiveStart
		}
	}
	if r, ok := d.Reply(cmd.verb, outcome, vars); ok {
		return dialectReply(r)
	}
	return newReply(150, "")
}

// greetingLocked is the dialect's greeting with the session's values,
// when neither the scenario nor the server's configuration sets one.
func (s *session) greetingLocked(d *dialect.Dialect, r reply) reply {
	if r.code != 220 || s.srv.rt.Scenario().Settings.Banner != "" || s.srv.cfg.Banner != DefaultBanner {
		return r
	}
	vars := dialect.Vars{
		"session": strconv.Itoa(s.number), "users": "1", "time": time.Now().Format("15:04"),
		"client": hostOf(s.raw.RemoteAddr()), "server": hostOf(s.raw.LocalAddr()), "port": portOf(s.raw.LocalAddr()),
	}
	return dialectReply(d.Greeting.Expand(vars).Expand(d.Defaults))
}

// featLocked puts the FEAT reply's features in the dialect's frame.
func (s *session) featLocked(d *dialect.Dialect, r reply) reply {
	var features []string
	for _, l := range r.lines[1 : len(r.lines)-1] {
		features = append(features, strings.TrimSpace(l))
	}
	return reply{code: 211, lines: d.Feat.Lines(features)}
}

// outcomeLocked is what happened to cmd, as the dialect's keys name it:
// the argument for TYPE, PROT, AUTH, SITE and OPTS; ok; or the failure
// its reply's code and the filesystem's error say.
func (s *session) outcomeLocked(d *dialect.Dialect, cmd *command, r reply) string {
	verb, arg := cmd.verb, strings.TrimSpace(cmd.arg)
	ok := r.code < 400
	word := strings.ToUpper(strings.Fields(arg + " x")[0])
	if _, has := d.Replies[dialect.K(verb, dialect.Plain)]; has && s.srv.cfg.TLS == TLSNone {
		return dialect.Plain // FTPS commands on a server without FTPS
	}
	if _, has := d.Reply(verb, dialect.NotLoggedIn, nil); has && !s.loggedIn && verb == "SYST" {
		return dialect.NotLoggedIn // the engine answers SYST before a login; vsftpd refuses it
	}
	if r.code == 502 && strings.HasPrefix(r.text(), "This command hasn't been implemented") {
		// ftpserverlib lacks it (HELP, STRU): the product's own answer
		if verb == "STRU" && word != "F" {
			return dialect.BadArg
		}
		return dialect.OK
	}
	switch verb {
	case "TYPE":
		if ok {
			return word[:1]
		}
		return dialect.BadArg
	case "PROT":
		if ok && (word == "P" || word == "C") {
			return word
		}
		return dialect.BadArg // ftpserverlib takes any level
	case "AUTH":
		return word
	case "SITE", "OPTS":
		if _, known := d.Replies[dialect.K(verb, word)]; known || ok {
			return word
		}
		return "unknown"
	case "ABOR":
		if ok && s.transfer == nil {
			return dialect.Idle
		}
	case "DELE":
		if fi, err := s.srv.fs.Stat(s.absPathLocked(arg)); !ok && err == nil && fi.IsDir() {
			return dialect.IsDir // unlink(2) of a folder, whatever is in it
		}
	case "REST":
		if !ok && r.code != 530 && !s.dia.ascii() {
			return dialect.BadArg // ftpserverlib's 550 to an offset it cannot read
		}
	}
	if s.dia.noReuse && isTransfer(verb) {
		return dialect.NoReuse
	}
	if s.asciiOutcomeLocked(d, verb, ok) { // dialect_ascii.go
		return dialect.InASCII
	}
	if ok {
		return dialect.OK
	}
	switch r.code {
	case 530:
		if verb == "PASS" {
			return dialect.BadLogin
		}
		return dialect.NotLoggedIn
	case 503:
		return dialect.BadSequence
	case 501, 504:
		return dialect.BadArg
	case 450, 451, 550, 553:
	default:
		return "" // a data connection's failure, a limit: ftpserverlib's reply stands
	}
	if o := fsOutcome(s.dia.fsErr); o != "" {
		return o
	}
	return s.statOutcomeLocked(verb, arg)
}

// statOutcomeLocked finds why a command on a path failed when the
// filesystem said nothing: the path is missing, a folder where a file is
// wanted, a file where a folder is, a folder not empty.
func (s *session) statOutcomeLocked(verb, arg string) string {
	p := s.absPathLocked(arg)
	fi, err := s.srv.fs.Stat(p)
	switch {
	case err != nil:
		if o := fsOutcome(err); o != "" {
			return o
		}
		return dialect.NotFound
	case verb == "MKD" || verb == "XMKD":
		return dialect.Exists
	case fi.IsDir() && (verb == "RMD" || verb == "XRMD"):
		return dialect.NotEmpty
	case fi.IsDir():
		return dialect.IsDir
	case verb == "CWD" || verb == "XCWD" || verb == "RMD" || verb == "XRMD":
		return dialect.NotDir
	}
	return "error"
}

// absPathLocked is absPath with the session's lock held.
func (s *session) absPathLocked(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	cwd := "/"
	if s.cc != nil {
		cwd = s.cc.Path()
	}
	return path.Join(cwd, p)
}

// varsLocked are the values of the dialect's variables for cmd's reply r.
func (s *session) varsLocked(d *dialect.Dialect, cmd *command, r reply) dialect.Vars {
	arg := strings.TrimSpace(cmd.arg)
	cwd := "/"
	if s.cc != nil {
		cwd = s.cc.Path()
	}
	v := dialect.Vars{
		"arg": arg, "verb": cmd.verb, "line": cmd.line(), "cwd": cwd, "path": s.absPathLocked(listingPath(cmd.verb, arg)),
		"user": s.user, "client": hostOf(s.raw.RemoteAddr()), "server": hostOf(s.raw.LocalAddr()), "port": portOf(s.raw.LocalAddr()),
		"session": strconv.Itoa(s.number), "offset": strconv.FormatInt(s.dia.rest, 10),
		"type": "BINARY", "type-long": "8-bit binary", "time": time.Now().Format("15:04"),
	}
	if s.dia.ascii() {
		v["type"], v["type-long"] = "ASCII", "ASCII"
	}
	if cmd.verb == "REST" {
		v["offset"] = arg
	}
	if isListing(cmd.verb) {
		all, _ := listOptions(arg)
		v["count"], v["options"] = "0", map[bool]string{false: "-l ", true: "-a -l "}[all]
	}
	v["kbytes-in"], v["kbytes-out"] = strconv.FormatInt(s.dia.in/1024, 10), strconv.FormatInt(s.dia.out/1024, 10)
	if l := s.dataLn; l != nil {
		if b := l.bound.Load(); b != nil && b.target != nil {
			v["client-port"] = strconv.Itoa(b.target.Port)
		}
	}
	if a, ok := advertised(r); ok {
		v["pasv"] = a
		v["epsv"] = strings.Trim(a, "|")
	}
	if site, rest, _ := strings.Cut(arg, " "); cmd.verb == "SITE" || cmd.verb == "OPTS" {
		v["site"], v["site-arg"] = strings.ToUpper(site), rest
		if cmd.verb == "SITE" && rest == "" {
			v["site-arg"] = site
		}
		if f := strings.Fields(rest); len(f) > 0 {
			v["site-file"] = f[len(f)-1]
		}
	}
	if needsFile(d, cmd.verb) {
		if fi, err := s.srv.fs.Stat(v["path"]); err == nil && !fi.IsDir() {
			v["size"] = strconv.FormatInt(fi.Size(), 10)
			v["remaining"] = strconv.FormatInt(fi.Size()-s.dia.rest, 10)
			v["mtime"] = fi.ModTime().UTC().Format("20060102150405")
			if s.dia.ascii() && d.ASCII.SizeConverted && cmd.verb == "SIZE" {
				v["size"] = strconv.FormatInt(s.convertedSize(v["path"]), 10)
			}
		}
	}
	return v
}

// needsFile reports whether verb's replies may name the file's size or
// time.
func needsFile(_ *dialect.Dialect, verb string) bool {
	switch verb {
	case "SIZE", "MDTM", "RETR", "STOR", "APPE", "MLST":
		return true
	}
	return false
}

// portOf is the port of a network address.
func portOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return strconv.Itoa(t.Port)
	}
	return ""
}

// cmdTYPE notes the transfer type the client chose, for the dialect's
// texts and ASCII rules; ftpserverlib answers it.
func (s *session) cmdTYPE(cmd *command) {
	cmd.final = func(r reply) reply {
		if r.code/100 == 2 {
			s.dia.binary = !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(cmd.arg)), "A")
		}
		return r
	}
	s.forward(cmd, cmd.line())
}

// dropDataAsync gives the client an empty data connection for a
// transfer the dialect fails after its 1xx (see speakLocked): the one it
// opened to the session's passive listener is closed, or its PORT
// address is dialed and closed. It reads an empty listing, then the
// failure.
func (s *session) dropDataAsync() {
	l := s.dataLn
	if l == nil {
		return
	}
	b := l.bound.Load()
	if b == nil || b.sess != s {
		return
	}
	s.srv.wg.Add(1)
	go func() {
		defer s.srv.wg.Done()
		if b.target == nil {
			l.dropPending()
			return
		}
		d := net.Dialer{Timeout: s.srv.cfg.DataTimeout}
		if c, err := d.Dial("tcp", b.target.String()); err == nil {
			s.srv.closeData(c)
		}
	}()
}

// dialectPASS answers a PASS the dialect refuses without ending the
// session (ftpserverlib ends it after a failed login; real servers let
// the client try again): PASS before USER, a wrong password.
func (s *session) dialectPASS(cmd *command) bool {
	d := s.dialectIn()
	if d == nil || !speaks(cmd, true) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	outcome := ""
	if s.userArg == "" {
		outcome = dialect.BadSequence
	} else if _, ok := s.srv.checkLogin(s.userArg, cmd.arg); !ok {
		outcome = dialect.BadLogin
	}
	if outcome == "" {
		return false
	}
	r, ok := d.Reply("PASS", outcome, s.varsLocked(d, cmd, reply{}))
	if !ok {
		return false
	}
	cmd.own = true
	s.replyLocked(cmd, dialectReply(r))
	return true
}

// transferVarsLocked adds what a transfer's final reply may show: how
// long it took, its rate (pure-ftpd's "0.001 seconds (measured here),
// 6.00 Kbytes per second"), and the session's totals.
func (s *session) transferVarsLocked(cmd *command, v dialect.Vars) {
	var n int64
	if cmd.info != nil {
		s.dia.in += cmd.info.BytesIn
		s.dia.out += cmd.info.BytesOut
		n = cmd.info.BytesIn + cmd.info.BytesOut
	}
	secs := 0.0
	if !s.dia.began.IsZero() {
		secs = time.Since(s.dia.began).Seconds()
	}
	rate, unit := float64(n)/max(secs, 0.001), "bytes"
	for _, u := range []string{"Kbytes", "Mbytes", "Gbytes"} {
		if rate < 1024 {
			break
		}
		rate, unit = rate/1024, u
	}
	v["seconds"] = strconv.FormatFloat(secs, 'f', 3, 64)
	v["rate"] = strconv.FormatFloat(rate, 'f', 2, 64) + " " + unit
	v["kbytes-in"], v["kbytes-out"] = strconv.FormatInt(s.dia.in/1024, 10), strconv.FormatInt(s.dia.out/1024, 10)
}
