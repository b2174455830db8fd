// Package admin is mockftpd's admin HTTP API: a JSON API over a running
// server.Server that lets a test suite in any language replace the
// scenario, add rules, move the scenario state, reset the server, read the
// journal, check the expectations and read or seed files.
//
//	h := admin.New(srv, admin.Options{Token: "s3cret"})
//	http.ListenAndServe("127.0.0.1:8021", h)
//
// Every route is under /api/ and described by the OpenAPI 3.0 document
// served at GET /api/openapi.json (the file openapi.json of this package).
// Errors are JSON objects {"error": "..."} with a fitting status code.
//
// The handler uses only the standard library. It does not listen by
// itself: the mockftpd command serves it on the address given with -admin.
package admin

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/server"
)

// Default body limits.
const (
	// DefaultMaxBodyBytes bounds the body of PUT /api/scenario, POST
	// /api/rules and PUT /api/state.
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	// DefaultMaxFileBytes bounds the body of PUT /api/files/{path}.
	DefaultMaxFileBytes = 64 << 20 // 64 MiB
)

// Options configures the admin API.
type Options struct {
	// Token, when not empty, is required as "Authorization: Bearer <Token>"
	// on every route but GET /api/health and GET /api/ready. It is compared
	// in constant time.
	Token string
	// MaxBodyBytes bounds scenario, rule and state bodies (default
	// DefaultMaxBodyBytes); a larger body gets 413.
	MaxBodyBytes int64
	// MaxFileBytes bounds file bodies (default DefaultMaxFileBytes); a
	// larger body gets 413.
	MaxFileBytes int64
	// Logger receives a line for every change made through the API. Nil
	// discards.
	Logger *slog.Logger
}

// API is the admin API's http.Handler.
type API struct {
	srv       *server.Server
	opts      Options
	tokenHash [sha256.Size]byte
	mux       *http.ServeMux
}

// route is one endpoint: the method, the ServeMux path pattern and the
// handler. The OpenAPI document lists exactly these (a test checks it).
type route struct {
	method  string
	pattern string
	open    bool // served without the token
	handle  http.HandlerFunc
}

// New returns the admin API of srv as an http.Handler.
func New(srv *server.Server, opts Options) *API {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{srv: srv, opts: opts, mux: http.NewServeMux()}
	if opts.Token != "" {
		a.tokenHash = sha256.Sum256([]byte(opts.Token))
	}
	for _, rt := range a.routes() {
		h := rt.handle
		if !rt.open {
			h = a.authorized(h)
		}
		a.mux.HandleFunc(rt.method+" "+rt.pattern, h)
	}
	return a
}

func (a *API) routes() []route {
	return []route{
		{method: http.MethodGet, pattern: "/api/health", open: true, handle: a.health},
		{method: http.MethodGet, pattern: "/api/ready", open: true, handle: a.ready},
		{method: http.MethodGet, pattern: "/api/openapi.json", handle: a.openAPI},
		{method: http.MethodGet, pattern: "/api/scenario", handle: a.getScenario},
		{method: http.MethodPut, pattern: "/api/scenario", handle: a.putScenario},
		{method: http.MethodPost, pattern: "/api/rules", handle: a.addRule},
		{method: http.MethodDelete, pattern: "/api/rules", handle: a.clearRules},
		{method: http.MethodGet, pattern: "/api/state", handle: a.getState},
		{method: http.MethodPut, pattern: "/api/state", handle: a.putState},
		{method: http.MethodPost, pattern: "/api/reset", handle: a.reset},
		{method: http.MethodGet, pattern: "/api/journal", handle: a.journal},
		{method: http.MethodGet, pattern: "/api/verify", handle: a.verify},
		{method: http.MethodGet, pattern: "/api/files/{path...}", handle: a.getFile},
		{method: http.MethodPut, pattern: "/api/files/{path...}", handle: a.putFile},
	}
}

// ServeHTTP serves the API. Requests that match no route get a JSON 404,
// or a JSON 405 with an Allow header when the path exists for other methods.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, pattern := a.mux.Handler(r); pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	// Let the mux decide between 404, 405 (with Allow) and a redirect to
	// the canonical path, then say it in JSON.
	cw := &captureWriter{ResponseWriter: w}
	a.mux.ServeHTTP(cw, r)
	h := w.Header()
	h.Del("Content-Type")
	h.Del("X-Content-Type-Options")
	switch code := cw.code; code {
	case http.StatusMethodNotAllowed:
		writeError(w, code, fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, h.Get("Allow")))
	case http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusTemporaryRedirect, http.StatusFound:
		writeJSON(w, code, map[string]string{"location": h.Get("Location")})
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s; GET /api/openapi.json lists the routes", r.Method, r.URL.Path))
	}
}

// captureWriter keeps the status the mux chose and drops its text body.
type captureWriter struct {
	http.ResponseWriter
	code int
}

func (c *captureWriter) WriteHeader(code int) { c.code = code }

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return len(p), nil
}

// authorized requires the bearer token when one is configured.
func (a *API) authorized(next http.HandlerFunc) http.HandlerFunc {
	if a.opts.Token == "" {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, tok, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mockftpd"`)
			writeError(w, http.StatusUnauthorized, `missing bearer token: send "Authorization: Bearer <token>" with the token given to mockftpd (-admin-token or MOCKFTPD_ADMIN_TOKEN)`)
			return
		}
		// Hashing first makes the comparison constant-time in the token's length too.
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if subtle.ConstantTimeCompare(got[:], a.tokenHash[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mockftpd", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "wrong bearer token: it does not match the token given to mockftpd (-admin-token or MOCKFTPD_ADMIN_TOKEN)")
			return
		}
		next(w, r)
	}
}

// errorBody is every error's JSON shape.
type errorBody struct {
	Error string `json:"error"`
	// Errors lists located problems (a scenario's or a rule's).
	Errors []string `json:"errors,omitempty"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<scenario>:3:5", not "\u003cscenario\u003e"
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error": "encoding the response failed"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// bodyError answers a request whose body could not be read: 413 when it
// was over the limit.
func bodyError(w http.ResponseWriter, err error, limit int64) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", limit))
		return
	}
	writeError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
}

// IsLoopback reports whether the listen address addr ("host:port") only
// accepts connections from this machine: its host is a loopback IP or
// "localhost". An empty host (":8021") listens on every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListen says whether the admin API may listen on addr with token:
// beyond loopback a token is required. The error is meant for a person.
func CheckListen(addr, token string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("admin address %q: want host:port, e.g. 127.0.0.1:8021", addr)
	}
	if token == "" && !IsLoopback(addr) {
		return fmt.Errorf("the admin API on %s would be reachable beyond loopback, so it needs a token: set -admin-token or MOCKFTPD_ADMIN_TOKEN (or -admin-token-file), or listen on a loopback address such as 127.0.0.1:8021", addr)
	}
	return nil
}
