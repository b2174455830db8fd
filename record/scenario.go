package record

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// Options says how Scenario turns a transcript into a scenario.
type Options struct {
	// Name names the scenario; by default "recorded from HOST:PORT".
	Name string
	// KeepPasswords writes the passwords clients sent (as users and in
	// PASS rules); by default PASS rules match the user name only.
	KeepPasswords bool
	// KeepTiming turns the upstream's reply delays into rule delays.
	KeepTiming bool
	// MaxFileBytes is the largest file content written in files:; a
	// larger file gets its size and generated content. Zero means
	// DefaultMaxFileBytes.
	MaxFileBytes int64
	// Strict answers every command the recording did not cover with 502.
	Strict bool
}

// minDelay is the shortest upstream delay KeepTiming keeps: below it a
// delay is the network's, not the server's.
const minDelay = 5 * time.Millisecond

// passVerbs change the server's state when they succeed: a replay hands
// them to mockftpd's own server (with the recorded reply texts) so that its
// state follows the recording's.
var passVerbs = map[string]bool{
	"CWD": true, "XCWD": true, "CDUP": true, "XCUP": true, "MKD": true, "XMKD": true,
	"RMD": true, "XRMD": true, "DELE": true, "RNFR": true, "RNTO": true,
	"TYPE": true, "MODE": true, "STRU": true, "REST": true, "PORT": true, "EPRT": true,
	"PBSZ": true, "PROT": true, "AUTH": true, "CCC": true, "QUIT": true, "ABOR": true,
	"REIN": true, "OPTS": true, "SITE": true, "MFMT": true,
}

// PassiveTemplate stands, in the final reply of a passed PASV or EPSV, for
// the data address mockftpd advertises, in that reply's own format
// ("h1,h2,h3,h4,p1,p2" in a 227, "|||port|" in a 229), so that a replay
// keeps the recorded server's wording around it.
const PassiveTemplate = scenario.AddressTemplate

// occurrence is one recorded command, in the recording's order.
type occurrence struct {
	ex   *Exchange
	sess *Session
	at   time.Time
	cut  bool // the upstream hung up right after it
}

// Scenario turns a transcript into a scenario that makes mockftpd answer
// the same client the same way: the greeting, every command's replies
// (rules keyed by command and argument, or by the path the command acts
// on where the same argument named several paths; responses in turn where
// the replies changed), the listings byte for byte, and the tree the
// client saw (files:).
func Scenario(tr *Transcript, opts Options) *scenario.Scenario {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	c := &converter{opts: opts, tr: tr}
	return c.convert()
}

type converter struct {
	opts   Options
	tr     *Transcript
	occs   []occurrence
	greets []scenario.Step
}

func (c *converter) convert() *scenario.Scenario {
	rec := &scenario.Scenario{Version: scenario.FormatVersion, Name: c.opts.Name}
	if rec.Name == "" {
		rec.Name = "recorded from " + c.tr.Upstream
	}
	unsolicited := c.collect()
	rec.Settings.Strict = c.opts.Strict
	rec.Rules = append(rec.Rules, c.greeting(&rec.Settings)...)
	rec.Rules = append(rec.Rules, c.commandRules(&rec.Settings)...)
	rec.Files = c.files()
	if c.opts.KeepPasswords {
		rec.Users = c.users()
	}
	rec.Settings.CustomCommands = customCommands(rec.Rules)
	rec.Description = c.description(unsolicited)
	return rec
}

// collect gathers the sessions' greetings and commands in the order they
// happened; it returns how many replies came with no command owed one.
func (c *converter) collect() int {
	unsolicited := 0
	for _, s := range c.tr.Sessions {
		if len(s.Exchanges) == 0 {
			continue // the upstream could not be reached
		}
		last := len(s.Exchanges) - 1
		for i, ex := range s.Exchanges {
			if i == 0 && ex.Verb == "" {
				if len(ex.Replies) > 0 {
					st := scenario.Step{Replies: replies(ex.Replies), Delay: delaySpec(c.delay(ex))}
					if i == last && s.UpstreamClosed {
						st.Then = scenario.ThenClose
					}
					c.greets = append(c.greets, st)
				}
				continue
			}
			if ex.Verb == "" {
				unsolicited++
				continue
			}
			c.occs = append(c.occs, occurrence{ex: ex, sess: s, at: s.Started.Add(ex.At), cut: i == last && s.UpstreamClosed})
		}
	}
	sort.SliceStable(c.occs, func(i, j int) bool { return c.occs[i].at.Before(c.occs[j].at) })
	return unsolicited
}

// delay is the upstream's delay before an exchange's first reply, when
// timing is kept and the delay is the server's own.
func (c *converter) delay(ex *Exchange) time.Duration {
	if !c.opts.KeepTiming || len(ex.Replies) == 0 || ex.Replies[0].After < minDelay {
		return 0
	}
	return ex.Replies[0].After.Round(time.Millisecond)
}

// greeting turns the greetings into the banner setting when every session
// got the same one-line 220, and into a connect rule otherwise.
func (c *converter) greeting(set *scenario.Settings) []scenario.Rule {
	if len(c.greets) == 0 {
		return nil
	}
	g := c.greets[0]
	same := true
	for _, o := range c.greets[1:] {
		same = same && sameStep(o, g) && o.Delay == g.Delay
	}
	if same && g.Then == "" && g.Delay.IsZero() && len(g.Replies) == 1 && g.Replies[0].Raw == "" && g.Replies[0].Code == 220 && !strings.Contains(g.Replies[0].Text, "\n") {
		set.Banner = g.Replies[0].Text
		return nil
	}
	return []scenario.Rule{collapse(scenario.Rule{Name: "greeting", When: scenario.Match{Event: scenario.EventConnect}}, c.greets, c.opts.KeepTiming)}
}

// key groups the occurrences a rule covers.
type key struct {
	verb, arg, path, user string
	hasArg                bool
}

// commandRules makes one rule per command and argument (or path).
func (c *converter) commandRules(set *scenario.Settings) []scenario.Rule {
	byPath := c.pathKeyed()
	type group struct {
		k     key
		first int
		steps []scenario.Step
	}
	groups := map[key]*group{}
	var order []*group
	for i, o := range c.occs {
		st, ok := c.step(o)
		if !ok {
			continue
		}
		k := c.key(o.ex, byPath)
		g := groups[k]
		if g == nil {
			g = &group{k: k, first: i}
			groups[k] = g
			order = append(order, g)
		}
		g.steps = append(g.steps, st)
	}
	var rules []scenario.Rule
	for _, g := range catchAllsLast(order, func(g *group) key { return g.k }) {
		if c.asSetting(g.k, g.steps, set) {
			continue
		}
		m := scenario.Match{Commands: []string{g.k.verb}, User: globEscape(g.k.user)}
		if g.k.path != "" {
			m.Path = exact(g.k.path)
		}
		if g.k.hasArg {
			m.Arg = exact(g.k.arg)
		}
		rules = append(rules, collapse(scenario.Rule{When: m}, g.steps, c.opts.KeepTiming))
	}
	return rules
}

// catchAllsLast keeps the groups' order, but moves a group that matches
// any argument of its verb after the verb's other groups, which it would
// otherwise shadow.
func catchAllsLast[G any](groups []G, keyOf func(G) key) []G {
	last := map[string]int{}
	for i, g := range groups {
		last[keyOf(g).verb] = i
	}
	held := map[string]G{}
	out := make([]G, 0, len(groups))
	for i, g := range groups {
		k := keyOf(g)
		if !k.hasArg && k.path == "" && k.user == "" && last[k.verb] != i {
			held[k.verb] = g
			continue
		}
		out = append(out, g)
		if h, ok := held[k.verb]; ok && last[k.verb] == i {
			out = append(out, h)
		}
	}
	return out
}

// target is the absolute path a command acts on, as a replay's rules
// match it (scenario.CommandPath); false for a command that acts on none.
func target(ex *Exchange) (string, bool) {
	return scenario.CommandPath(ex.Verb, ex.Arg, ex.Cwd)
}

// pathKeyed returns the verbs whose rules must match paths: those where one
// argument named several paths (LIST in two folders, say).
func (c *converter) pathKeyed() map[string]bool {
	seen := map[[2]string]string{}
	out := map[string]bool{}
	for _, o := range c.occs {
		v := o.ex.Verb
		p, ok := target(o.ex)
		if !ok || out[v] {
			continue
		}
		k := [2]string{v, o.ex.Arg}
		if prev, ok := seen[k]; ok && prev != p {
			out[v] = true
		}
		seen[k] = p
	}
	return out
}

func (c *converter) key(ex *Exchange, byPath map[string]bool) key {
	switch {
	case ex.Verb == "PASS":
		k := key{verb: "PASS", user: ex.User}
		if c.opts.KeepPasswords {
			k.arg, k.hasArg = ex.Arg, true
		}
		return k
	case byPath[ex.Verb]:
		p, _ := target(ex)
		return key{verb: ex.Verb, path: p}
	case ex.Verb == "PORT" || ex.Verb == "EPRT":
		return key{verb: ex.Verb} // the client's address changes every time
	case ex.Arg != "":
		return key{verb: ex.Verb, arg: ex.Arg, hasArg: true}
	}
	return key{verb: ex.Verb}
}

// step turns one recorded command into the response that replays it;
// false when there is nothing to replay (the client left before a reply).
func (c *converter) step(o occurrence) (scenario.Step, bool) {
	ex := o.ex
	final, hasFinal := ex.Final()
	prelim := ex.Preliminary()
	var st scenario.Step
	switch v := ex.Verb; {
	case !hasFinal:
		if len(ex.Replies) == 0 && !o.cut {
			return scenario.Step{}, false
		}
		st = scenario.Step{Replies: replies(ex.Replies)}
	case transferVerbs[v] && final.Code < 400 && (ex.Transfer == nil || ex.Transfer.Err == ""):
		st = scenario.Step{Pass: true, Preliminary: replies(prelim), Final: replies([]Reply{final})}
		if listingVerbs[v] && ex.Transfer != nil && ex.Transfer.Complete() {
			st.Data = dataContent(ex.Transfer.Data)
		}
	case transferVerbs[v] && len(prelim) > 0:
		// the transfer began, then its data connection was refused or
		// failed: the client's is closed, the recorded error follows
		st = scenario.Step{Pass: true, Preliminary: replies(prelim), Data: refusedData(toReply(final))}
	case (v == "PASV" && final.Code == 227) || (v == "EPSV" && final.Code == 229):
		st = scenario.Step{Pass: true, Final: replies([]Reply{passiveTemplate(v, final)})}
	case passVerbs[v] && final.Code < 400:
		st = scenario.Step{Pass: true, Preliminary: replies(prelim), Final: replies([]Reply{final})}
	default:
		// an error reply; to a transfer command whose data connection
		// the client had opened, mockftpd closes that connection as the
		// recorded servers do
		st = scenario.Step{Replies: replies(ex.Replies)}
	}
	if o.cut {
		st.Then = scenario.ThenClose
	}
	st.Delay = delaySpec(c.delay(ex))
	return st, true
}

// customCommands lists the verbs the rules name that mockftpd's catalogue
// does not know (PRET, say, which pure-ftpd offers), so that the scenario
// names them on purpose.
func customCommands(rules []scenario.Rule) []string {
	var out []string
	for _, r := range rules {
		for _, v := range r.When.Commands {
			if _, ok := scenario.LookupVerb(v); !ok && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// passiveTemplate puts PassiveTemplate in place of a 227 or 229 reply's
// address.
func passiveTemplate(verb string, r Reply) Reply {
	if verb == "PASV" {
		if m := pasvAddr.FindStringIndex(r.Raw); m != nil {
			r.Raw = r.Raw[:m[0]] + PassiveTemplate + r.Raw[m[1]:]
		}
		return r
	}
	if m := epsvAddr.FindStringIndex(r.Raw); m != nil {
		r.Raw = r.Raw[:m[0]] + "(" + PassiveTemplate + ")" + r.Raw[m[1]:]
	}
	return r
}

// asSetting turns FEAT and SYST into settings when every reply was the
// same and has the form mockftpd's settings write.
func (c *converter) asSetting(k key, steps []scenario.Step, set *scenario.Settings) bool {
	if k.hasArg || k.path != "" || (k.verb != "FEAT" && k.verb != "SYST") {
		return false
	}
	first := steps[0]
	for _, st := range steps {
		if !sameStep(st, first) || !st.Delay.IsZero() || st.Then != "" || st.Pass || len(st.Replies) != 1 {
			return false
		}
	}
	r := first.Replies[0]
	switch {
	case k.verb == "SYST" && r.Raw == "" && r.Code == 215 && !strings.Contains(r.Text, "\n"):
		set.Syst = r.Text
		return true
	case k.verb == "FEAT":
		feats, ok := featureList(r)
		if !ok {
			return false
		}
		set.Features = feats
		return true
	}
	return false
}

// featureList reads a FEAT reply of the form mockftpd's features setting
// writes ("211-Features:", " FEATURE" lines, "211 End").
func featureList(r scenario.Reply) ([]string, bool) {
	raw := r.Raw
	if raw == "" {
		raw = formatReply(r.Code, r.Text)
	}
	if !strings.HasSuffix(raw, "\r\n") {
		return nil, false
	}
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	if len(lines) < 3 || lines[0] != "211-Features:" || lines[len(lines)-1] != "211 End" {
		return nil, false
	}
	var feats []string
	for _, l := range lines[1 : len(lines)-1] {
		if !strings.HasPrefix(l, " ") || strings.TrimSpace(l) == "" || strings.ContainsRune(l, '\n') {
			return nil, false
		}
		feats = append(feats, l[1:])
	}
	return feats, true
}

// collapse gives r its steps: one when every occurrence got the same
// response (with their median delay), else the responses in turn, the last
// repeating.
func collapse(r scenario.Rule, steps []scenario.Step, keepTiming bool) scenario.Rule {
	same := true
	for _, st := range steps[1:] {
		same = same && sameStep(st, steps[0])
	}
	if !same {
		r.Steps, r.Exhausted = steps, scenario.ExhaustedRepeat
		return r
	}
	st := steps[0]
	if keepTiming {
		ds := make([]time.Duration, len(steps))
		for i, s := range steps {
			ds[i] = s.Delay.Min
		}
		slices.Sort(ds)
		st.Delay = delaySpec(ds[len(ds)/2])
	}
	r.Steps = []scenario.Step{st}
	return r
}

func replies(rs []Reply) []scenario.Reply {
	out := make([]scenario.Reply, len(rs))
	for i, r := range rs {
		out[i] = toReply(r)
	}
	return out
}

// toReply writes a recorded reply as a code and a text when mockftpd would
// send those exact bytes for them, and as raw bytes otherwise (a
// multi-line reply whose inner lines have no code, a bare "\n" line end).
func toReply(r Reply) scenario.Reply {
	text := r.Text()
	if r.Code >= 100 && text != "" && formatReply(r.Code, text) == r.Raw {
		return scenario.Reply{Code: r.Code, Text: text}
	}
	return scenario.Reply{Raw: r.Raw}
}

// formatReply is how mockftpd sends a reply of a code and a text: every
// line but the last as "CODE-line", the last as "CODE line", CRLF ends.
func formatReply(code int, text string) string {
	var b strings.Builder
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		b.WriteString(strconv.Itoa(code) + sep + l + "\r\n")
	}
	return b.String()
}

// users are the logins that worked, with their passwords (KeepPasswords).
func (c *converter) users() []scenario.User {
	var out []scenario.User
	seen := map[string]bool{}
	for _, o := range c.occs {
		f, ok := o.ex.Final()
		if o.ex.Verb != "PASS" || !ok || f.Code != 230 || o.ex.User == "" || seen[o.ex.User] {
			continue
		}
		seen[o.ex.User] = true
		out = append(out, scenario.User{Name: o.ex.User, Password: o.ex.Arg})
	}
	return out
}

func (c *converter) description(unsolicited int) string {
	sessions, commands := 0, len(c.occs)
	for _, s := range c.tr.Sessions {
		if len(s.Exchanges) > 0 {
			sessions++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Recorded by mockftpd record from %s on %s: %s, %s.\n", c.tr.Upstream, c.tr.Started.UTC().Format(time.RFC3339), count(sessions, "session"), count(commands, "command"))
	if c.opts.KeepPasswords {
		b.WriteString("Passwords are kept.\n")
	} else {
		b.WriteString("Passwords are not kept: PASS rules match the user name, any password.\n")
	}
	fmt.Fprintf(&b, "Listings are replayed byte for byte; files larger than %s have their size and generated content.\n", scenario.FormatSize(c.opts.MaxFileBytes))
	b.WriteString("PASV/EPSV replies keep the server's wording with mockftpd's own data address.\n")
	for _, s := range c.tr.Sessions {
		if s.Implicit && len(s.Exchanges) > 0 {
			b.WriteString("Recorded over implicit FTPS: serve it with mockftpd -tls implicit.\n")
			break
		}
	}
	if unsolicited > 0 {
		fmt.Fprintf(&b, "%d replies that came with no command owed one (timeouts) are not replayed.\n", unsolicited)
	}
	return b.String()
}

// fileContent sets a file entry's content from bytes.
func fileContent(f *scenario.File, b []byte) {
	if textOK(b) {
		f.Content = string(b)
	} else {
		f.Base64 = base64.StdEncoding.EncodeToString(b)
	}
}

// count writes "1 session" or "3 sessions".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
