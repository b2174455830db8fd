package scenario

// Dialect makes the server answer as a real server product does (see
// Settings.Dialect): "vsftpd", "proftpd", "iis"...
func (sc *Scenario) Dialect(name string) *Scenario {
	sc.Settings.Dialect = name
	return sc
}
