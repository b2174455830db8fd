package dialect

// Settings is the part of a dialect that mockftpd's scenario settings can
// already say: what a scenario's settings get from the dialect where they
// say nothing (see Dialect.Settings).
type Settings struct {
	// Banner is the greeting's text (lines without their codes); empty
	// when the greeting needs a value only a session knows (pure-ftpd's
	// user count and time).
	Banner string
	// Syst is the text of the reply to SYST.
	Syst string
	// Features are FEAT's lines, without or with FTPS; nil when the
	// server has no FEAT (it is then in Disable).
	Features []string
	// Disable are the commands the server does not implement.
	Disable []string
}

// Settings returns what the dialect says in the terms of scenario
// settings, for a server with FTPS or without, filling its greeting's
// variables with vars and the dialect's defaults.
func (d *Dialect) Settings(tls bool, vars Vars) Settings {
	s := Settings{Features: d.Feat.List(tls), Disable: append([]string(nil), d.Missing...)}
	if g := d.Greeting.Expand(vars).Expand(d.Defaults); len(g.Variables()) == 0 {
		s.Banner = g.Text()
	}
	if r, ok := d.Replies[K("SYST", OK)]; ok {
		s.Syst = r.Text()
	}
	if d.Feat.Header == "" {
		s.Features = nil
		s.Disable = append(s.Disable, "FEAT")
	}
	return s
}
