package server

import (
	"net"
	"slices"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/scenario"
)

// withDialect puts the dialect in force (the scenario's settings.dialect,
// else Config.Dialect) beneath sc's own settings, in place: the greeting
// (unless it needs a value only a session knows), SYST and FEAT fill in
// what sc leaves empty, and the commands the product lacks join
// settings.disable. sc is the server's own normalized copy. What the
// dialect says beyond settings (its reply texts, listings, FTPS rules)
// needs the engine: see docs/dialects.md. An unknown Config.Dialect is an
// error (the scenario's was checked by Normalize).
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
	for _, v := range ds.Disable {
		if !slices.Contains(set.Disable, v) {
			set.Disable = append(set.Disable, v)
		}
	}
	return nil
}
