package scenario

import (
	"net"
	"reflect"
	"strings"
)

var (
	transferVerbs = verbsWhere(func(v Verb) bool { return v.Transfer })
	uploadVerbs   = verbsWhere(func(v Verb) bool { return v.Upload })
	contentVerbs  = verbsWhere(func(v Verb) bool { return v.Transfer && !v.Upload })
)

func verbsWhere(ok func(Verb) bool) string {
	var out []string
	for _, v := range Verbs() {
		if ok(v) {
			out = append(out, v.Name)
		}
	}
	return strings.Join(out, ", ")
}

// onlyFor reports at path that key applies only to the verbs for which ok
// holds (named by which) when the rule may fire for another one.
func (v *validator) onlyFor(r *Rule, path, key, which string, ok func(Verb) bool) {
	if len(r.When.Commands) == 0 {
		v.errf(path, "%q applies only to %s: name them in when.command", key, which)
		return
	}
	for _, c := range r.When.Commands {
		if vb, known := verbs[c]; !known || !ok(vb) {
			v.errf(path, "%q does not apply to %s: it applies only to %s", key, c, which)
			return
		}
	}
}

// step checks a step and fills in its defaults. Each combination of the
// fields of a step either means something (what the engine does) or is a
// located error, so that no scripted reply is silently dropped;
// combine_test.go checks every row.
//
//	fields                           meaning, or the error
//	reply                            the replies instead of the server's
//	reply + then                     the replies, then close, reset or stall
//	then (no reply)                  nothing is sent, then close, reset or stall
//	pass (or nothing)                the server answers
//	pass + then                      the server's final reply, then the end
//	pass: false alone                error: does nothing
//	reply + pass: true               error: a step replies or passes
//	reply|then + preliminary/final   error: they replace the server's replies, and there are none
//	reply|then + data                error: data scripts a transfer the server makes
//	preliminary                      replaces the 1xx of a transfer command (RETR STOR STOU
//	                                 APPE LIST NLST MLSD); on the greeting, sent before it;
//	                                 error on any other command (none gets a 1xx)
//	final                            replaces the server's final reply (on the greeting: the 220)
//	delay                            waits before all of the above
//	data on a connect rule           error
//	data (transfer faults)           transfer commands only
//	data.advertise_host              PASV only (EPSV's 229 carries no address)
//	data.advertise_port              PASV and EPSV only
//	advertise_* + transfer faults    error: they apply to different commands
//	data: {}                         error: does nothing
//	data.end                         needs data.after
//	data.chunk_delay                 needs data.chunk
//	data.refuse                      ignore (never accepted or dialed), close (FIN before a
//	                                 byte; with PROT P after the TLS handshake), reset
//	                                 (the same with an RST), 425 (no connection)
//	data.refuse + after, rate, chunk, chunk_delay, corrupt, delay_data, content or base64
//	                                 error: the connection never opens
//	data.refuse + preliminary        the 1xx is sent, then the connection is refused
//	data.refuse + delay_preliminary  delays that 1xx; error without preliminary (a
//	                                 refused transfer gets no 1xx of the server's)
//	data.refuse + final              final replaces the 425
//	data.after: 0                    the 1xx (the server's or preliminary), the TLS
//	                                 handshake if any, then the end (close, reset,
//	                                 stall) before the first byte; 426 follows
//	data.after: 0 + rate, chunk, chunk_delay, corrupt, content or base64
//	                                 error: no byte moves
//	data.after: 0 + delay_data       the pause before the end
//	data.content or data.base64      the bytes of a download or listing (RETR LIST NLST
//	                                 MLSD) instead of the server's, every other fault
//	                                 applying to them; error on uploads (their bytes
//	                                 come from the client), with both, or with an
//	                                 after beyond the content (the cut would never come)
//	data.reply                       replaces the final reply after a cut (after) or a
//	                                 refusal (refuse); error without either
//	data.reply + final               error: final replaces every final reply, data.reply
//	                                 would never be sent
//	data.keep_partial                uploads (STOR STOU APPE) cut or refused; error otherwise
//	data.delay_final                 delays the final reply, whatever it is
//	data.advertise_* + final         error: final replaces the 227/229 reply they rewrite
//	pass on a disabled command       the 502 of settings.disable (after the delay); with
//	                                 preliminary, final or data: error (a rule naming the
//	                                 command; one for any command leaves it its 502)
//	preliminary, final: lists        each reply in order in place of the server's one
//	login (true, a name, false)      the step's own replies to the greeting, USER, PASS,
//	                                 ACCT or ADAT log the session in (as the client's
//	                                 user, or the one named), or not; without login, a
//	                                 last final reply of 230 or 232 logs in
//	login on another command         error (none logs in)
//	login + pass                     error: the server decides the login of what it answers
//	login without reply              error: nothing says the session is logged in
//	{address} in final               the address of the server's 227/229 (PASV and EPSV
//	                                 only; error on another command)
//	{address} in reply, preliminary  error: only a passed PASV or EPSV has an address
//	when.path (validate.go)          commands that act on a path only (see CommandPath)
func (v *validator) step(r *Rule, s *Step, p string) {
	connect := r.When.Event == EventConnect
	if len(s.Replies) == 0 && s.Then == "" {
		s.Pass = true
	}
	for k := range s.Replies {
		v.reply(index(join(p, "reply"), k), &s.Replies[k], false)
	}
	if s.Pass && len(s.Replies) > 0 {
		v.errf(join(p, "pass"), `"pass: true" conflicts with "reply": a step either replies itself or passes the command on`)
	}
	v.delay(join(p, "delay"), &s.Delay)
	for _, x := range []struct {
		name string
		rs   []Reply
	}{{"preliminary", s.Preliminary}, {"final", s.Final}} {
		if len(x.rs) == 0 {
			continue
		}
		if !s.Pass {
			v.errf(join(p, x.name), "%q applies only to a command passed on to the server, but this step replies itself", x.name)
			continue
		}
		for k := range x.rs {
			v.reply(index(join(p, x.name), k), &x.rs[k], false)
		}
	}
	if s.Pass && (len(s.Preliminary) > 0 || len(s.Final) > 0 || s.Data != nil) {
		for _, c := range r.When.Commands {
			if contains(v.sc.Settings.Disable, c) {
				v.errf(join(p, "pass"), "%s is disabled (settings.disable): it gets 502, so the server never answers it and \"preliminary\", \"final\" and \"data\" do not apply", c)
				break
			}
		}
	}
	if len(s.Preliminary) > 0 && s.Pass && !connect {
		v.onlyFor(r, join(p, "preliminary"), "preliminary", "the transfer commands ("+transferVerbs+"), the only ones that get a 1xx reply", func(vb Verb) bool { return vb.Transfer })
	}
	if s.Data != nil {
		v.data(r, s, join(p, "data"), connect)
	}
	v.login(r, s, p, connect)
	v.address(r, s, p)
}

// loginVerbs are the commands whose scripted replies may log a session in.
var loginVerbs = []string{"USER", "PASS", "ACCT", "ADAT"}

// login checks a step's login: it applies to the step's own replies to the
// greeting or to a login command.
func (v *validator) login(r *Rule, s *Step, p string, connect bool) {
	if s.Login == nil {
		return
	}
	lp := join(p, "login")
	switch {
	case s.Pass:
		v.errf(lp, `"login" applies to the step's own replies ("reply"): a command passed on is logged in (or not) by the server`)
		return
	case len(s.Replies) == 0:
		v.errf(lp, `"login" needs the replies ("reply") that log the session in`)
		return
	case !connect:
		v.onlyFor(r, lp, "login", "the greeting (event: connect) and "+strings.Join(loginVerbs, ", "), func(vb Verb) bool { return contains(loginVerbs, vb.Name) })
	}
	if u := s.Login.User; u != "" && strings.ContainsAny(u, " \t\r\n\x00") {
		v.errf(lp, "user name %q must not contain spaces", u)
	}
}

// AddressTemplate stands, in the final reply of a passed PASV or EPSV,
// for the data address the server advertises, in that reply's form
// (h1,h2,h3,h4,p1,p2 in a 227, |||port| in a 229), so that a recording
// keeps the recorded server's wording around mockftpd's own address.
const AddressTemplate = "{address}"

// address checks where a step's replies hold "{address}": only the final
// reply of a passed PASV or EPSV has an address to put there.
func (v *validator) address(r *Rule, s *Step, p string) {
	for _, x := range []struct {
		name string
		rs   []Reply
	}{{"reply", s.Replies}, {"preliminary", s.Preliminary}, {"final", s.Final}} {
		for k, rep := range x.rs {
			if !strings.Contains(rep.Text+rep.Raw, AddressTemplate) {
				continue
			}
			rp := index(join(p, x.name), k)
			if x.name != "final" {
				v.errf(rp, "%s stands for the address the server advertises, so it applies only to \"final\" (of a passed PASV or EPSV), not to %q", AddressTemplate, x.name)
				continue
			}
			v.onlyFor(r, rp, AddressTemplate, "the final reply of PASV and EPSV (the replies that advertise an address)", func(vb Verb) bool { return vb.Passive })
		}
	}
}

func (v *validator) data(r *Rule, s *Step, dp string, connect bool) {
	switch {
	case connect:
		v.errf(dp, `"data" does not apply to a connect rule`)
		return
	case !s.Pass:
		v.errf(dp, `"data" applies only to a command passed on to the server, but this step replies itself`)
		return
	}
	d := s.Data
	if reflect.ValueOf(d).Elem().IsZero() {
		v.errf(dp, `an empty "data" does nothing: give a fault such as {after: 1MiB} or {refuse: close}`)
		return
	}
	passive := d.AdvertiseHost != "" || d.AdvertisePort != 0
	other := *d
	other.AdvertiseHost, other.AdvertisePort = "", 0
	faults := !reflect.ValueOf(other).IsZero()
	switch {
	case passive && faults:
		key := "advertise_host"
		if d.AdvertiseHost == "" {
			key = "advertise_port"
		}
		v.errf(join(dp, key), "%q scripts the reply to PASV or EPSV, the other data faults a transfer command: put them in rules of their own", key)
	case faults:
		v.onlyFor(r, dp, "data", "the transfer commands ("+transferVerbs+")", func(vb Verb) bool { return vb.Transfer })
	}
	if d.AdvertiseHost != "" {
		v.onlyFor(r, join(dp, "advertise_host"), "advertise_host", "PASV (the 229 reply to EPSV carries no address)", func(vb Verb) bool { return vb.Name == "PASV" })
		if ip := net.ParseIP(d.AdvertiseHost); ip == nil || ip.To4() == nil {
			v.errf(join(dp, "advertise_host"), "advertise_host must be an IPv4 address (227 replies carry one), got %q", d.AdvertiseHost)
		}
	}
	if d.AdvertisePort != 0 {
		v.onlyFor(r, join(dp, "advertise_port"), "advertise_port", "PASV and EPSV", func(vb Verb) bool { return vb.Passive })
	}
	if passive && len(s.Final) > 0 {
		v.errf(join(strings.TrimSuffix(dp, ".data"), "final"), `"final" replaces the reply that advertise_host and advertise_port rewrite: keep one`)
	}
	after, cut := d.Cut()
	if d.End != "" && !cut {
		v.errf(join(dp, "end"), `"end" applies only with "after"`)
	}
	content := d.Content != nil || d.Base64 != ""
	if d.Refuse != "" {
		for _, n := range []struct {
			name string
			set  bool
		}{{"after", cut}, {"rate", d.Rate != 0}, {"chunk", d.Chunk != 0}, {"corrupt", d.Corrupt != 0},
			{"chunk_delay", d.ChunkDelay != 0}, {"delay_data", !d.DelayData.IsZero()}, {"content", d.Content != nil}, {"base64", d.Base64 != ""}} {
			if n.set {
				v.errf(join(dp, n.name), `"refuse" never opens the data connection, so %q does not apply`, n.name)
			}
		}
		if !d.DelayPreliminary.IsZero() && len(s.Preliminary) == 0 {
			v.errf(join(dp, "delay_preliminary"), `a refused data connection gets no 1xx reply of the server's, so "delay_preliminary" applies only with "preliminary" (sent before the refusal)`)
		}
	}
	if cut && after == 0 && d.Refuse == "" {
		for _, n := range []struct {
			name string
			set  bool
		}{{"rate", d.Rate != 0}, {"chunk", d.Chunk != 0}, {"corrupt", d.Corrupt != 0}, {"chunk_delay", d.ChunkDelay != 0},
			{"content", d.Content != nil}, {"base64", d.Base64 != ""}} {
			if n.set {
				v.errf(join(dp, n.name), `"after: 0" ends the transfer before its first byte, so %q does not apply`, n.name)
			}
		}
	}
	if content && d.Refuse == "" {
		v.content(r, d, dp, after, cut)
	}
	if d.ChunkDelay != 0 && d.Chunk == 0 {
		v.errf(join(dp, "chunk_delay"), `"chunk_delay" applies only with "chunk"`)
	}
	cut = d.Refuse != "" || cut
	if d.Reply != nil {
		switch {
		case len(s.Final) > 0:
			v.errf(join(dp, "reply"), `"final" replaces every final reply, so "data.reply" would never be sent: keep one`)
		case !cut:
			v.errf(join(dp, "reply"), `"data.reply" replaces the final reply after a cut ("after") or a refusal ("refuse"), and this transfer has neither: use "final" to replace its final reply`)
		}
		v.reply(join(dp, "reply"), d.Reply, true)
	}
	if d.KeepPartial != nil {
		if !cut {
			v.errf(join(dp, "keep_partial"), `"keep_partial" applies only to an upload cut ("after") or refused ("refuse")`)
		} else {
			v.onlyFor(r, join(dp, "keep_partial"), "keep_partial", "uploads ("+uploadVerbs+")", func(vb Verb) bool { return vb.Upload })
		}
	}
	v.delay(join(dp, "delay_preliminary"), &d.DelayPreliminary)
	v.delay(join(dp, "delay_data"), &d.DelayData)
	v.delay(join(dp, "delay_final"), &d.DelayFinal)
}

// content checks a fault's content (content or base64): it replaces what a
// download or a listing sends.
func (v *validator) content(r *Rule, d *DataFault, dp string, after int64, cut bool) {
	key := "content"
	if d.Content == nil {
		key = "base64"
	}
	v.onlyFor(r, join(dp, key), key, "downloads and listings ("+contentVerbs+"): an upload's bytes come from the client", func(vb Verb) bool { return vb.Transfer && !vb.Upload })
	if d.Content != nil && d.Base64 != "" {
		v.errf(join(dp, "base64"), `give the data's bytes as "content" (text) or "base64" (binary), not both`)
		return
	}
	var n int
	if d.Base64 != "" {
		b, err := decodeBase64(d.Base64)
		if err != nil {
			v.errf(join(dp, "base64"), "invalid base64: %v", err)
			return
		}
		n = len(b)
	} else {
		n = len(*d.Content)
	}
	if cut && after > int64(n) {
		v.errf(join(dp, "after"), "the content has %d bytes, so a cut after %d would never come", n, after)
	}
}
