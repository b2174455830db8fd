package main

import (
	"fmt"
	"strings"

	"github.com/mockftpd/mockftpd/server"
)

// userSyntax is what -user says about its syntax in errors.
const userSyntax = `want name:password or name:password:/home. The name ends at the first ":" and the home starts at the last ":" followed by "/"; the password is everything between. A password that holds a ":" needs a home after it (":/" is the root, the default), e.g. -user 'carol:pa:ss:/'`

// parseUserFlag reads one -user account: "name:password" or
// "name:password:/home". The home is what follows the last colon, when it
// starts with one "/"; the password is what lies between the first colon
// and that one, so that any password can be written ("carol:pa:ss:/" is
// the password "pa:ss" with the root as home). What could be read two ways
// ("carol:pa:ss": a password with a colon, or a home without a slash?) and
// an empty password are refused.
func parseUserFlag(s string) (server.User, error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return server.User{}, fmt.Errorf("-user %q: %s", s, userSyntax)
	}
	pass, home := rest, ""
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		h := rest[i+1:]
		if !strings.HasPrefix(h, "/") || strings.HasPrefix(h, "//") {
			return server.User{}, fmt.Errorf("-user %q: the password holds a \":\" and no home follows it, so it is ambiguous: %s", s, userSyntax)
		}
		pass, home = rest[:i], h
	}
	if pass == "" {
		return server.User{}, fmt.Errorf("-user %q: the password is empty; give one (or -anonymous for the anonymous account): %s", s, userSyntax)
	}
	return server.User{Name: name, Password: pass, Home: home}, nil
}

// usersFlag is the repeatable -user flag: each value is checked as it is
// set, so that an error names where it came from (the flag or
// MOCKFTPD_USER).
type usersFlag []server.User

func (u *usersFlag) String() string {
	names := make([]string, len(*u))
	for i, one := range *u {
		names[i] = one.Name
	}
	return strings.Join(names, ",")
}

func (u *usersFlag) Set(v string) error {
	user, err := parseUserFlag(v)
	if err != nil {
		return err
	}
	*u = append(*u, user)
	return nil
}

// splitUsers splits the value of MOCKFTPD_USER into accounts: one per line
// when it holds a newline (a password may then hold a comma or spaces at
// its ends), else comma-separated with the spaces around each trimmed.
func splitUsers(v string) []string {
	if strings.Contains(v, "\n") {
		var out []string
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSuffix(line, "\r"); line != "" {
				out = append(out, line)
			}
		}
		return out
	}
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
