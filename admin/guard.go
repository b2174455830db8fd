package admin

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// A browser lets any web page send requests to 127.0.0.1, and a page can
// make its own name resolve to 127.0.0.1 (DNS rebinding). Three checks keep
// such pages from driving the API (Options.AllowedHosts says them for a
// user): the Host header, the Origin header, and the content type of a
// write. The bearer token travels only in the Authorization header, never
// in a cookie, so a browser never adds it by itself.

// hostPolicy decides which Host headers the API answers.
type hostPolicy struct {
	any   bool
	names map[string]bool
}

func newHostPolicy(allowed []string) hostPolicy {
	p := hostPolicy{names: map[string]bool{}}
	for _, h := range allowed {
		if h == "*" {
			p.any = true
		}
		p.names[canonicalHost(h)] = true
	}
	return p
}

// canonicalHost lower-cases a host name and drops a final dot.
func canonicalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// check returns why the request's Host is refused, or "".
func (p hostPolicy) check(r *http.Request) string {
	if p.any || r.Host == "" { // no Host: HTTP/1.0, not a browser
		return ""
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = canonicalHost(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if _, err := netip.ParseAddr(host); err == nil {
		return "" // an address: no name for a page to rebind
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || p.names[host] {
		return ""
	}
	return fmt.Sprintf("Host %q is not allowed: the admin API answers to IP addresses, localhost and the names it is given, so that a web page cannot reach it under a name of its own (DNS rebinding). To use this name, start mockftpd with -admin-allow-host %s (MOCKFTPD_ADMIN_ALLOW_HOST)", r.Host, host)
}

// checkHostName says what is wrong with an allowed host name.
func checkHostName(h string) error {
	if h == "" || strings.ContainsAny(h, ":/ @?#[]") || strings.ContainsFunc(h, isControl) {
		return fmt.Errorf("allowed host %q: want a host name such as mockftpd or ftp.test (no scheme, port or path; IP addresses are always allowed)", h)
	}
	return nil
}

// crossOrigin is the standard library's check of writes from browsers
// (Sec-Fetch-Site, then Origin against Host).
var crossOrigin = http.NewCrossOriginProtection()

// checkOrigin returns why a browser request from another origin is
// refused, or "". Browsers add Origin to every cross-origin request and to
// every write; a page of the API's own origin (such as one it serves)
// sends its own, which matches the Host it talks to.
func checkOrigin(r *http.Request) string {
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return fmt.Sprintf("cross-origin request refused: a page of %s may not use this API; only pages the API serves itself (origin http://%s) and clients that are not browsers may", origin, r.Host)
		}
	}
	if err := crossOrigin.Check(r); err != nil {
		return fmt.Sprintf("cross-origin request refused (%v): only pages the API serves itself (origin http://%s) and clients that are not browsers may write", err, r.Host)
	}
	return ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// writeTypes are the content types a write accepts (parameters such as
// charset aside). None is one a browser may send to another origin without
// asking it first (a CORS preflight, which the API never grants).
var writeTypes = []string{"application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}

// writeContentType refuses a write whose body is typed as anything but
// JSON or YAML. A request without a Content-Type passes: it is not a form
// (forms always have one), and a page of another origin that sends one is
// refused for its Origin.
func writeContentType(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			next(w, r)
			return
		}
		mt, _, _ := strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		for _, ok := range writeTypes {
			if mt == ok {
				next(w, r)
				return
			}
		}
		refuse(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf(
			`Content-Type %q is not accepted by %s %s: send "Content-Type: application/yaml" for YAML or "Content-Type: application/json" for JSON (curl: -H 'Content-Type: application/yaml' --data-binary @file.yaml). Form and text types are refused because any web page can send them`,
			ct, r.Method, r.URL.Path))
	}
}
