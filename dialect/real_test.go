package dialect_test

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/internal/dialectprobe"
	"github.com/mockftpd/mockftpd/internal/realftpd"
)

// The three dialects of the servers that run here are held to what those
// servers answered to the probe (testdata/real/, rewritten with
// -capture): every reply the probe names by a key, every listing byte
// for byte, the greeting of every session. What may differ between two
// runs of the same server is normalised (normalisations below), and what
// differs only because of how the test runs the server is left out
// (configSpecific), each with its reason.

// capturedStep is one command of a captured transcript.
type capturedStep struct {
	session string
	line    string
	key     string
	replies []string // reply lines, with their codes
	data    *string  // the data connection's bytes, when it had one
	notes   []string
}

type capturedRun struct {
	now      time.Time
	greeting map[string][]string // per session
	steps    []capturedStep
}

func readCapture(t *testing.T, name string) capturedRun {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "real", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parseCapture(t, f)
}

func parseCapture(t *testing.T, r io.Reader) capturedRun {
	t.Helper()
	var err error
	c := capturedRun{greeting: map[string][]string{}}
	session := ""
	var cur *capturedStep
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "# now "):
			c.now, err = time.Parse(time.RFC3339, strings.TrimPrefix(l, "# now "))
			if err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(l, "# session "):
			session = strings.TrimPrefix(l, "# session ")
			cur = nil
		case strings.HasPrefix(l, "# "):
			if cur != nil {
				cur.notes = append(cur.notes, l[2:])
			}
		case strings.HasPrefix(l, "> "):
			line, key, _ := strings.Cut(l[2:], "\t")
			c.steps = append(c.steps, capturedStep{session: session, line: line, key: strings.Trim(key, "[]")})
			cur = &c.steps[len(c.steps)-1]
		case strings.HasPrefix(l, "< "):
			if cur == nil {
				c.greeting[session] = append(c.greeting[session], l[2:])
			} else {
				cur.replies = append(cur.replies, l[2:])
			}
		case strings.HasPrefix(l, "| "):
			s := ""
			if cur.data != nil {
				s = *cur.data
			}
			if l != "| (empty)" {
				q, err := strconv.Unquote(l[2:])
				if err != nil {
					t.Fatalf("%s: %v", l, err)
				}
				s += q
			}
			cur.data = &s
		}
	}
	return c
}

// realTarget is how each server was run for the capture.
type realTarget struct {
	user, group string // the session's user and group as the server shows them
	servername  string // ProFTPD's ServerName in the test configuration
}

var realTargets = map[string]realTarget{
	"vsftpd":    {user: "anonymous"},
	"proftpd":   {user: "bob", group: "nogroup", servername: "mockftpd test"},
	"pure-ftpd": {user: "bob"},
}

// configSpecific are the probe's keys whose reply depends on how the
// test runs the server rather than on the server: the dialect models the
// server as it is usually run, and says so in its Sources.
var configSpecific = map[string]map[string]string{
	"vsftpd": {
		"login/USER ok":        "the test's vsftpd is anonymous-only (its local users need PAM): it refuses USER bob with 530; with local users it asks for the password",
		"login/PASS bad-login": "after that refused USER, PASS gets 503; with local users a wrong password gets 530 Login incorrect.",
		"main/SITE CHMOD":      "anonymous sessions get 550 Permission denied. for every SITE command",
		"main/SITE HELP":       "anonymous sessions get 550 Permission denied. for every SITE command",
		"main/SITE unknown":    "anonymous sessions get 550 Permission denied. for every SITE command",
		"main/STAT ok":         "its STAT names the anonymous session's system user (daemon), not the login name",
		"main/LIST file":       "vsftpd's filter also lists the links whose target has that name (link -> a.txt): not modelled",
		"main/STAT file":       "vsftpd's filter also lists the links whose target has that name (link -> a.txt): not modelled",
	},
}

// normalisations hide what differs between two runs of one server.
var normalisations = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^(227 .*\()\d+,\d+,\d+,\d+,\d+,\d+`), "${1}h1,h2,h3,h4,p1,p2"},
	{regexp.MustCompile(`^(229 .*\(\|\|\|)\d+\|`), "${1}PORT|"},
	{regexp.MustCompile(`^150 Connecting to port \d+$`), "150 Connecting to port PORT"},
	{regexp.MustCompile(`[\d.]+ seconds \(measured here\), [\d.]+ (K|M|G)?bytes per second`), "T seconds (measured here), R bytes per second"},
	{regexp.MustCompile(`You are user number \d+ of \d+ allowed`), "You are user number N of M allowed"},
	{regexp.MustCompile(`Local time is now \d\d:\d\d\. Server port: \d+\.`), "Local time is now HH:MM. Server port: P."},
	{regexp.MustCompile(`You uploaded \d+ and downloaded \d+ kbytes`), "You uploaded N and downloaded M kbytes"},
	{regexp.MustCompile(`client count was \d+`), "client count was N"},
	{regexp.MustCompile(`unique=[0-9A-Fa-f]+[Ug][0-9A-Fa-f]+;`), "unique=U;"},
}

func normalise(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		for _, n := range normalisations {
			l = n.re.ReplaceAllString(l, n.repl)
		}
		out[i] = l
	}
	return out
}

// sortedData: ProFTPD and pure-ftpd send NLST and MLSD in the order the
// directory keeps (readdir), which mockftpd cannot know: compared sorted.
func sortedData(kind, verb string) bool {
	return kind != "vsftpd" && (verb == "NLST" || verb == "MLSD")
}

// probeState follows a session as the dialect sees it.
type probeState struct {
	active bool // PORT data connections
	cwd    string
	ascii  bool
	offset int64
	user   string
}

func tree(now time.Time) map[string]dialect.Entry {
	out := map[string]dialect.Entry{
		"/":    {Name: "/", Mode: fs.ModeDir | 0o755, Size: 4096, ModTime: dialectprobe.FixedTime, Links: 3, Owner: "0", Group: "0"},
		"/pub": {Name: "pub", Mode: fs.ModeDir | 0o777, Size: 4096, ModTime: dialectprobe.FixedTime, Links: 4, Owner: "0", Group: "0"},
	}
	for _, f := range dialectprobe.Tree {
		p := path.Join("/pub", f.Path)
		if strings.HasPrefix(f.Path, "/") {
			p = f.Path
		}
		e := dialect.Entry{Name: path.Base(p), Size: int64(len(f.Content)), Mode: 0o666, ModTime: dialectprobe.FixedTime, Owner: "0", Group: "0"}
		if f.Age != 0 {
			e.ModTime = now.Add(-f.Age).Truncate(time.Second)
		}
		switch {
		case f.Dir:
			e.Mode, e.Size = fs.ModeDir|0o777, 4096
		case f.Link != "":
			e.Mode, e.Size, e.Target = fs.ModeSymlink|0o777, int64(len(f.Link)), f.Link
		case f.Size > 0:
			e.Size = f.Size
		}
		if f.Mode != 0 {
			e.Mode = e.Mode.Type() | f.Mode
		}
		if f.NoAccess {
			e.Mode = e.Mode.Type()
		}
		out[p] = e
	}
	return out
}

func children(t map[string]dialect.Entry, dir string) []dialect.Entry {
	var out []dialect.Entry
	for p, e := range t {
		if p != "/" && path.Dir(p) == dir {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func contentOf(name string) string {
	for _, f := range dialectprobe.Tree {
		if f.Path == name {
			return f.Content
		}
	}
	return ""
}

// predict returns what d answers to step, as transcript lines: replies,
// then "DATA:" and the data's bytes quoted.
func predict(t *testing.T, d *dialect.Dialect, tg realTarget, st *probeState, files map[string]dialect.Entry, now time.Time, step capturedStep) []string {
	t.Helper()
	verb, arg, _ := strings.Cut(step.line, " ")
	outcome := step.key
	if v, o, ok := strings.Cut(step.key, " "); ok && v == verb {
		outcome = o
	}
	vars := dialect.Vars{
		"arg": arg, "verb": verb, "line": step.line, "cwd": st.cwd, "path": path.Join(st.cwd, arg),
		"user": st.user, "client": "127.0.0.1", "server": "127.0.0.1", "servername": tg.servername,
		"strerror": dialect.StrError(outcome), "type": "BINARY", "type-long": "8-bit binary",
		// what the normalisations hide
		"pasv": "127,0,0,1,1,1", "epsv": "1", "client-port": "1", "seconds": "0.000", "rate": "1.00 Kbytes", "kbytes-in": "0", "kbytes-out": "0",
	}
	if strings.HasPrefix(arg, "/") {
		vars["path"] = arg
	}
	switch {
	case verb == "CWD" && outcome == dialect.OK:
		vars["cwd"] = vars["path"]
	case verb == "CDUP":
		vars["cwd"] = path.Dir(st.cwd)
	case verb == "REST":
		vars["offset"] = arg
	}
	if step.key == "NOOP after-no-reuse" {
		if d.TLS.CloseAfterNoReuse {
			return nil
		}
		outcome = dialect.OK
	}
	if st.ascii {
		vars["type"], vars["type-long"] = "ASCII", "ASCII"
	}
	if verb == "SITE" || verb == "OPTS" {
		site, rest, _ := strings.Cut(arg, " ")
		vars["site"], vars["site-arg"] = strings.ToUpper(site), rest
		if verb == "SITE" && rest == "" {
			vars["site-arg"] = site
		}
		f := strings.Fields(rest)
		if len(f) > 0 {
			vars["site-file"] = f[len(f)-1]
		}
	}
	if e, ok := files[vars["path"]]; ok {
		vars["size"] = strconv.FormatInt(e.Size, 10)
		vars["remaining"] = strconv.FormatInt(e.Size-st.offset, 10)
		vars["mtime"] = e.ModTime.UTC().Format("20060102150405")
	}
	reply := func(v, o string) []string {
		r, ok := d.Reply(v, o, vars)
		if !ok {
			t.Errorf("%s: no reply for %q", d.Name, dialect.K(v, o))
			return nil
		}
		return r.Lines()
	}
	if step.key == "unknown" || !d.Knows(verb) {
		vars["verb"] = verb
		return d.Unknown.Expand(vars).Lines()
	}
	switch step.key {
	case "FEAT ok", "FEAT not-logged-in":
		return d.Feat.Lines(d.Feat.List(false))
	case "FEAT tls":
		return d.Feat.Lines(d.Feat.List(true))
	case "STAT file", "STAT dir":
		p := vars["path"]
		o := dialect.ListOptions{}
		var es []dialect.Entry
		if step.key == "STAT dir" {
			es = children(files, p)
			o.Dot, o.DotDot = files[p], files[path.Dir(p)]
		} else {
			es = []dialect.Entry{files[p]}
		}
		vars["listing"] = strings.Join(d.STAT(es, now, o), "\n")
		return reply(verb, outcome)
	case "MLST ok":
		name := arg
		if d.Listing.MLSTFullPath {
			name = vars["path"]
		}
		vars["facts"] = d.MLST(files[vars["path"]], name, dialect.ListOptions{User: tg.user, Group: tg.group})
		return reply(verb, outcome)
	}
	switch verb {
	case "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD":
		return predictTransfer(t, d, tg, st, files, now, verb, arg, outcome, vars, reply)
	}
	if _, own := d.Replies[dialect.K(verb, outcome)]; !own && st.ascii && (verb == "SIZE" || verb == "REST") && outcome == dialect.InASCII {
		if verb == "SIZE" && !d.ASCII.SizeRefused {
			outcome = dialect.OK
			vars["size"] = strconv.Itoa(len(contentOf(arg)))
		}
		if verb == "REST" && !d.ASCII.RestRefused {
			outcome = dialect.OK
		}
	}
	return reply(verb, outcome)
}

func predictTransfer(t *testing.T, d *dialect.Dialect, tg realTarget, st *probeState, files map[string]dialect.Entry, now time.Time, verb, arg, outcome string, vars dialect.Vars, reply func(v, o string) []string) []string {
	if _, refused := d.Replies[dialect.K(verb, "refused")]; refused && outcome == dialect.OK {
		return reply(verb, "refused")
	}
	if outcome == dialect.ASCIIRest && st.offset > 0 {
		if _, ok := d.Replies[dialect.K(verb, outcome)]; ok {
			return reply(verb, outcome)
		}
	}
	if outcome == dialect.NoReuse && !d.TLS.RequireReuse {
		outcome = dialect.TLSOn
	}
	failed := dialect.StrError(outcome) != ""
	if failed && !d.After(verb, outcome) {
		return reply(verb, outcome)
	}
	start := reply(verb, dialect.Start)
	if st.active {
		if r, ok := d.Reply(verb, dialect.ActiveStart, vars); ok {
			start = r.Lines()
		}
	}
	data := ""
	final := dialect.OK
	p := vars["path"]
	lo := dialect.ListOptions{User: tg.user, Group: tg.group}
	switch {
	case failed:
		final = outcome
		vars["count"], vars["options"] = "0", "-l "
	case outcome == dialect.NoReuse:
		final = outcome
	case verb == "RETR":
		data = contentOf(arg)[st.offset:]
		if st.ascii && d.ASCII.Convert {
			data = strings.ReplaceAll(data, "\n", "\r\n")
		}
		if st.ascii {
			if _, ok := d.Replies[dialect.K(verb, dialect.InASCII)]; ok {
				final = dialect.InASCII
			}
		}
	case verb == "LIST" || verb == "NLST" || verb == "MLSD":
		dir := st.cwd
		var es []dialect.Entry
		opts := "-l "
		switch {
		case arg == "-a":
			lo.All, opts = true, "-a -l "
		case arg != "":
			dir = ""
			es = []dialect.Entry{files[p]}
		}
		if dir != "" {
			es = children(files, dir)
			lo.Dot, lo.DotDot = files[dir], files[path.Dir(dir)]
		}
		var b []byte
		switch verb {
		case "LIST":
			b = d.LIST(es, now, lo)
		case "NLST":
			b = d.NLST(es, lo)
		default:
			b = d.MLSD(es, lo)
		}
		data = string(b)
		if sortedData(d.Name, verb) {
			data = sortLines(data)
		}
		vars["count"] = strconv.Itoa(strings.Count(data, "\r\n"))
		vars["options"] = opts
	}
	out := append([]string{}, start...)
	if verb != "STOR" && verb != "APPE" {
		out = append(out, "DATA:"+strconv.Quote(data))
	}
	return append(out, reply(verb, final)...)
}

func sortLines(data string) string {
	lines := strings.SplitAfter(data, "\r\n")
	sort.Strings(lines)
	return strings.Join(lines, "")
}

func (s capturedStep) observed(kind, verb string) []string {
	out := append([]string{}, s.replies...)
	if s.data != nil {
		data := *s.data
		if sortedData(kind, verb) {
			data = sortLines(data)
		}
		// the data comes between the 1xx and the final reply
		if len(out) > 0 && out[0] != "" && out[0][0] == '1' {
			n := 1
			for n < len(out) && (len(out[n]) < 4 || out[n][:3] == out[0][:3]) && out[0][3] == '-' {
				n++
			}
			return append(append(append([]string{}, out[:n]...), "DATA:"+strconv.Quote(data)), out[n:]...)
		}
		out = append(out, "DATA:"+strconv.Quote(data))
	}
	return out
}

func TestDialectsMatchRealServers(t *testing.T) {
	for kind := range realTargets {
		for _, r := range runs {
			t.Run(kind+r.suffix, func(t *testing.T) {
				compareRun(t, kind, r.active, readCapture(t, kind+r.suffix))
			})
		}
	}
}

// The same against the servers themselves, now: the captures are not
// stale, and the dialects hold for the servers CI installs.
func TestDialectsMatchLiveServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real FTP servers")
	}
	for _, kind := range realftpd.Kinds {
		for _, r := range runs {
			t.Run(string(kind)+r.suffix, func(t *testing.T) {
				t.Parallel()
				tr, now := probeReal(t, kind, r.tls, r.active)
				text := "# now " + now.UTC().Format(time.RFC3339) + "\n" + tr.String()
				compareRun(t, string(kind), r.active, parseCapture(t, strings.NewReader(text)))
			})
		}
	}
}

// compareRun holds kind's dialect to a run of the probe against the
// real server.
func compareRun(t *testing.T, kind string, active bool, c capturedRun) {
	d, ok := dialect.Lookup(kind)
	if !ok {
		t.Fatalf("no dialect %s", kind)
	}
	tg := realTargets[kind]
	files := tree(c.now)
	for session, g := range c.greeting {
		want := d.Greeting.Expand(dialect.Vars{"server": "127.0.0.1", "servername": tg.servername, "users": "1", "time": "00:00", "port": "21"}).Expand(d.Defaults)
		if got, exp := normalise(g), normalise(want.Lines()); strings.Join(got, "\n") != strings.Join(exp, "\n") {
			t.Errorf("%s greeting:\n got %q\nwant %q", session, got, exp)
		}
	}
	var st *probeState
	session := ""
	for _, step := range c.steps {
		if step.session != session {
			session, st = step.session, &probeState{cwd: "/", ascii: true, user: tg.user, active: active}
		}
		verb, arg, _ := strings.Cut(step.line, " ")
		if step.key != "" {
			if why, skip := configSpecific[kind][step.session+"/"+step.key]; skip {
				t.Logf("%s %s: not compared: %s", step.session, step.key, why)
			} else {
				want := normalise(predict(t, d, tg, st, files, c.now, step))
				got := normalise(step.observed(kind, verb))
				if strings.Join(want, "\n") != strings.Join(got, "\n") {
					t.Errorf("%s > %s [%s]:\n got %q\nwant %q", step.session, step.line, step.key, got, want)
				}
			}
		}
		// follow the session as the server did
		code := 0
		if len(step.replies) > 0 {
			code, _ = strconv.Atoi(step.replies[len(step.replies)-1][:3])
		}
		switch {
		case (verb == "CWD" || verb == "CDUP") && code == 250:
			if verb == "CDUP" {
				st.cwd = path.Dir(st.cwd)
			} else {
				st.cwd = path.Join(st.cwd, arg)
			}
		case verb == "TYPE" && code == 200:
			st.ascii = arg == "A"
		case verb == "REST" && code == 350:
			st.offset, _ = strconv.ParseInt(arg, 10, 64)
		case verb == "RETR" || verb == "STOR" || verb == "APPE":
			st.offset = 0
		}
	}
}
