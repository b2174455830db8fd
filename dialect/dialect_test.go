package dialect_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/dialect"
)

var replyLine = regexp.MustCompile(`^[1-5]\d\d[ -]`)

// checkReply reports what makes r not a well-formed FTP reply: a first
// line "CODE text" or "CODE-text", and for several lines a last line
// "CODE text" with the same code (lines between are free).
func checkReply(r dialect.Reply) string {
	lines := r.Lines()
	if len(lines) == 0 {
		return "empty"
	}
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\x00") {
			return "a CR or NUL in " + l
		}
	}
	first, last := lines[0], lines[len(lines)-1]
	if !replyLine.MatchString(first) {
		return "first line " + first + " is not CODE text"
	}
	if len(lines) == 1 {
		if first[3] != ' ' {
			return "a single line with CODE-: " + first
		}
		return ""
	}
	if first[3] != '-' || !strings.HasPrefix(last, first[:3]+" ") {
		return "multi-line reply not framed by CODE- and CODE : " + first + " ... " + last
	}
	return ""
}

func allReplies(d *dialect.Dialect) map[string]dialect.Reply {
	out := map[string]dialect.Reply{"greeting": d.Greeting}
	if d.Unknown != "" {
		out["unknown"] = d.Unknown
	}
	for k, r := range d.Replies {
		out[string(k)] = r
	}
	return out
}

func TestDialectsAreWellFormed(t *testing.T) {
	if len(dialect.All()) < 7 {
		t.Fatalf("only %d dialects", len(dialect.All()))
	}
	for _, d := range dialect.All() {
		t.Run(d.Name, func(t *testing.T) {
			if d.Product == "" || d.Summary == "" || len(d.Sources) == 0 {
				t.Errorf("a dialect needs a product, a summary and its sources")
			}
			if d.Greeting.Code() != 220 {
				t.Errorf("greeting %q is not a 220", d.Greeting)
			}
			if got, ok := dialect.Lookup(strings.ToUpper(d.Name)); !ok || got != d {
				t.Errorf("Lookup(%q) does not find it", strings.ToUpper(d.Name))
			}
			for k, r := range allReplies(d) {
				if msg := checkReply(r); msg != "" {
					t.Errorf("%s: %s", k, msg)
				}
				for _, v := range r.Variables() {
					if _, ok := dialect.VarNames[v]; !ok {
						t.Errorf("%s: variable {%s} is not in VarNames", k, v)
					}
				}
				if k == "greeting" || k == "unknown" {
					continue
				}
				verb, outcome, ok := strings.Cut(k, " ")
				if !ok || verb != strings.ToUpper(verb) || outcome == "" {
					t.Errorf("key %q is not \"VERB outcome\"", k)
				}
				if !d.Knows(verb) && verb != "*" {
					t.Errorf("%s: a reply for a command the dialect does not implement", k)
				}
			}
			for _, k := range d.Unverified {
				if _, ok := d.Replies[k]; !ok {
					t.Errorf("unverified %q has no reply", k)
				}
			}
			for _, k := range d.AfterStart {
				if _, ok := d.Replies[k]; !ok {
					t.Errorf("after-start %q has no reply", k)
				}
			}
			if d.Feat.Header != "" {
				lines := d.Feat.Lines(d.Feat.List(true))
				if msg := checkReply(dialect.Reply(strings.Join(lines, "\n"))); msg != "" || !strings.HasPrefix(lines[0], "211-") {
					t.Errorf("FEAT: %s %q", msg, lines)
				}
				for _, f := range append(d.Feat.List(false), d.Feat.List(true)...) {
					word, _, _ := strings.Cut(f, " ")
					if !d.Knows(word) {
						t.Errorf("FEAT lists %s, which the dialect does not implement", f)
					}
				}
			}
			if d.Listing.Format.Line == nil && d.Listing.Format.Aligned == nil {
				t.Errorf("no LIST format")
			}
		})
	}
}

func TestLookupAndCheck(t *testing.T) {
	if _, ok := dialect.Lookup(" VsFtpd "); !ok {
		t.Error("Lookup is not case- and space-insensitive")
	}
	if _, ok := dialect.Lookup("nosuch"); ok {
		t.Error("Lookup found a dialect that does not exist")
	}
	err := dialect.Check("vsftp")
	if err == nil || err.Error() != `unknown dialect "vsftp" (use filezilla-server, iis, proftpd, pure-ftpd, serv-u, vsftpd or wu-ftpd) (did you mean "vsftpd"?)` {
		t.Errorf("Check(vsftp) = %v", err)
	}
}

func TestReplyFallbacks(t *testing.T) {
	d, _ := dialect.Lookup("proftpd")
	r, ok := d.Reply("CWD", dialect.NotFound, dialect.Vars{"arg": "x", "strerror": dialect.StrError(dialect.NotFound)})
	if !ok || r != "550 x: No such file or directory" {
		t.Errorf("CWD not-found (through CWD error) = %q, %v", r, ok)
	}
	r, ok = d.Reply("PWD", dialect.NotLoggedIn, nil)
	if !ok || r != "530 Please login with USER and PASS" {
		t.Errorf("PWD not-logged-in (through * not-logged-in) = %q, %v", r, ok)
	}
	if _, ok := d.Reply("XYZ", dialect.OK, nil); ok {
		t.Error("a reply for a key the dialect lacks")
	}
	g, _ := dialect.Lookup("proftpd")
	if got := g.Greeting.Expand(dialect.Vars{"server": "127.0.0.1"}).Expand(g.Defaults); got != "220 ProFTPD Server (Debian) [127.0.0.1]" {
		t.Errorf("greeting %q", got)
	}
	if got := dialect.Reply("220-a\n220 b").Text(); got != "a\nb" {
		t.Errorf("Text = %q", got)
	}
	if got := dialect.Reply("211-x\n     y\n211 z").Text(); got != "x\n     y\nz" {
		t.Errorf("Text of free lines = %q", got)
	}
}

func TestSettings(t *testing.T) {
	pure, _ := dialect.Lookup("pure-ftpd")
	if s := pure.Settings(true, dialect.Vars{"server": "127.0.0.1"}); s.Banner != "" || s.Syst != "UNIX Type: L8" || len(s.Features) == 0 {
		t.Errorf("pure-ftpd's greeting needs a session's values: %+v", s)
	}
	vs, _ := dialect.Lookup("vsftpd")
	plain, withTLS := vs.Settings(false, nil), vs.Settings(true, nil)
	if plain.Banner != "(vsFTPd 3.0.3)" || strings.Contains(strings.Join(plain.Features, ","), "AUTH TLS") || !strings.Contains(strings.Join(withTLS.Features, ","), "AUTH TLS") {
		t.Errorf("vsftpd: %+v / %+v", plain, withTLS)
	}
	wu, _ := dialect.Lookup("wu-ftpd")
	s := wu.Settings(false, nil)
	if s.Features != nil || !strings.Contains(strings.Join(s.Disable, ","), "FEAT") || s.Banner != "localhost.localdomain FTP server (Version wu-2.6.2(1) Mon Jan 7 12:00:00 UTC 2002) ready." {
		t.Errorf("wu-ftpd: %+v", s)
	}
}
