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
// Every answer of the API is JSON, but for the routes that send a
// scenario (YAML on request), a file or the OpenAPI document: errors are
// objects {"error": "..."} with a fitting status code, and so are 404,
// 405 and redirects to a route's canonical path.
//
// Web pages cannot drive the API: see Options.AllowedHosts for the checks
// of the Host and Origin headers and of a write's content type.
//
// The handler uses only the standard library. It does not listen by
// itself: the mockftpd command serves it on the address given with -admin.
package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	// in constant time, before any request body is read. It may not be
	// blank, start or end with white space, or hold control characters
	// (none of which an Authorization header can carry): see Validate.
	Token string
	// AllowedHosts lists the host names, besides IP addresses, "localhost"
	// and names under ".localhost", that the Host header of a request may
	// carry; other requests get 403. This is what stops DNS rebinding: a
	// web page on evil.example whose name is made to resolve to 127.0.0.1
	// reaches the API with "Host: evil.example:8021". "*" allows any name,
	// which needs a Token.
	//
	// Two more checks keep web pages of other sites out, whatever the
	// options: a request with an Origin header must come from the API's
	// own origin (http://<its Host>), and a write (any method but GET,
	// HEAD and OPTIONS) other than PUT /api/files/{path} must have a JSON
	// or YAML Content-Type (application/json, application/yaml,
	// application/x-yaml, text/yaml, text/x-yaml) or none at all, since
	// HTML forms and cross-site fetches send text/plain,
	// application/x-www-form-urlencoded or multipart/form-data. A page
	// the API serves itself is of the same origin and passes them all.
	AllowedHosts []string
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

// Validate reports what is wrong with the options, for a person: a token
// no request can match, or an allowed host that is not a host name.
func (o Options) Validate() error {
	var errs []error
	if o.Token != "" {
		switch {
		case strings.TrimSpace(o.Token) == "":
			errs = append(errs, errors.New("the admin token is blank: give a secret of visible characters, e.g. from `openssl rand -hex 16`"))
		case strings.TrimSpace(o.Token) != o.Token:
			errs = append(errs, errors.New("the admin token starts or ends with white space, which an Authorization header cannot carry: remove it"))
		case strings.ContainsFunc(o.Token, isControl):
			errs = append(errs, errors.New("the admin token holds a control character, which an Authorization header cannot carry"))
		}
	}
	for _, h := range o.AllowedHosts {
		if h == "*" {
			if o.Token == "" {
				errs = append(errs, errors.New(`allowing any Host ("*") turns off the DNS-rebinding check, so it needs an admin token`))
			}
			continue
		}
		if err := checkHostName(h); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// API is the admin API's http.Handler.
type API struct {
	srv       *server.Server
	opts      Options
	tokenHash [sha256.Size]byte
	hosts     hostPolicy
	mux       *http.ServeMux
	// transferWindow is how long a file transfer may go without moving
	// transferProgress bytes (tests shorten it).
	transferWindow time.Duration
	// streams ends with EndStreams: the live streams (GET /api/events) stop.
	streams    context.Context
	endStreams context.CancelFunc
	ruleTexts  ruleTexts
}

// route is one endpoint: the method, the ServeMux path pattern and the
// handler. The OpenAPI document lists exactly these (a test checks it).
type route struct {
	method  string
	pattern string
	open    bool // served without the token
	anyType bool // a write whose body may have any content type (a file's bytes)
	handle  http.HandlerFunc
}

// New returns the admin API of srv as an http.Handler. It panics when
// opts.Validate fails: the mockftpd command checks its flags with Validate
// first.
func New(srv *server.Server, opts Options) *API {
	if err := opts.Validate(); err != nil {
		panic("admin.New: " + err.Error())
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{srv: srv, opts: opts, mux: http.NewServeMux(), hosts: newHostPolicy(opts.AllowedHosts), transferWindow: defaultTransferWindow}
	a.streams, a.endStreams = context.WithCancel(context.Background())
	if opts.Token != "" {
		a.tokenHash = sha256.Sum256([]byte(opts.Token))
	}
	for _, rt := range a.routes() {
		h := rt.handle
		if !rt.anyType && !safeMethod(rt.method) {
			h = writeContentType(h)
		}
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
		{method: http.MethodPut, pattern: "/api/files/{path...}", anyType: true, handle: a.putFile},
		// the live page (ui.go) and what it reads
		{method: http.MethodGet, pattern: "/api/rules", handle: a.getRules},
		{method: http.MethodGet, pattern: "/api/sessions", handle: a.sessions},
		{method: http.MethodGet, pattern: "/api/sessions/{session}/transcript", handle: a.transcript},
		{method: http.MethodGet, pattern: "/api/sessions/{session}/scenario", handle: a.sessionScenario},
		{method: http.MethodGet, pattern: "/api/events", handle: a.events},
		{method: http.MethodGet, pattern: "/api/builtins", handle: a.builtins},
		{method: http.MethodGet, pattern: "/api/builtins/{name...}", handle: a.builtin},
		{method: http.MethodGet, pattern: "/ui", open: true, handle: a.uiRedirect},
		{method: http.MethodGet, pattern: "/ui/{$}", open: true, handle: a.page},
		{method: http.MethodGet, pattern: "/ui/{file}", open: true, handle: a.asset},
	}
}

// ServeHTTP serves the API. It checks the Host and Origin headers first
// (see Options.AllowedHosts), then routes. Requests that match no route get
// a JSON 404, or a JSON 405 with an Allow header when the path exists for
// other methods; a path that is not canonical ("/api//scenario",
// "/api/files") gets a JSON redirect to the one that is.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	// Nothing the API sends is a page: a browser that is sent to a file
	// (an uploaded .html, say) must neither sniff nor run it. A route that
	// serves a page of its own replaces this policy with the page's.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
	if msg := a.hosts.check(r); msg != "" {
		refuse(w, r, http.StatusForbidden, msg)
		return
	}
	if msg := checkOrigin(r); msg != "" {
		refuse(w, r, http.StatusForbidden, msg)
		return
	}
	a.mux.ServeHTTP(&jsonWriter{ResponseWriter: w, r: r}, r)
}

// jsonWriter turns what the ServeMux answers by itself (404, 405 and
// redirects, in text or HTML) into JSON. The API's own handlers always set
// their Content-Type before they write, so an answer without a JSON type
// at one of these codes is the mux's.
type jsonWriter struct {
	http.ResponseWriter
	r       *http.Request
	replace bool // the mux's body is dropped: ours is written
}

func (j *jsonWriter) WriteHeader(code int) {
	h := j.Header()
	if !muxCode(code) || strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		j.ResponseWriter.WriteHeader(code)
		return
	}
	j.replace = true
	h.Del("Content-Type")
	h.Del("Content-Length")
	r := j.r
	switch code {
	case http.StatusMethodNotAllowed:
		writeError(j.ResponseWriter, code, fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, h.Get("Allow")))
	case http.StatusNotFound:
		writeError(j.ResponseWriter, code, fmt.Sprintf("no route %s %s; GET /api/openapi.json lists the routes", r.Method, r.URL.Path))
	default: // a redirect
		loc := h.Get("Location")
		writeJSON(j.ResponseWriter, code, redirectBody{
			Location: loc,
			Message:  fmt.Sprintf("%s is not the route's canonical path: send the request to %s", r.URL.Path, loc),
		})
	}
}

func (j *jsonWriter) Write(p []byte) (int, error) {
	if j.replace {
		return len(p), nil
	}
	return j.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (j *jsonWriter) Unwrap() http.ResponseWriter { return j.ResponseWriter }

func muxCode(code int) bool {
	switch code {
	case http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

type redirectBody struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// authorized requires the bearer token when one is configured. It answers
// before the request's body is read, and closes the connection rather
// than wait for a body nobody will read.
func (a *API) authorized(next http.HandlerFunc) http.HandlerFunc {
	if a.opts.Token == "" {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mockftpd"`)
			refuse(w, r, http.StatusUnauthorized, `missing bearer token: send "Authorization: Bearer <token>" with the token given to mockftpd (-admin-token or MOCKFTPD_ADMIN_TOKEN)`)
			return
		}
		if !a.tokenMatches(tok) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mockftpd", error="invalid_token"`)
			refuse(w, r, http.StatusUnauthorized, "wrong bearer token: it does not match the token given to mockftpd (-admin-token or MOCKFTPD_ADMIN_TOKEN)")
			return
		}
		next(w, r)
	}
}

// bearer returns the request's bearer token, if it has one.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return tok, ok && strings.EqualFold(scheme, "Bearer")
}

// tokenMatches compares a bearer token with the API's in constant time.
func (a *API) tokenMatches(tok string) bool {
	// Hashing first makes the comparison constant-time in the token's length too.
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], a.tokenHash[:]) == 1
}

// authorizedRequest reports whether r may read what the token guards.
func (a *API) authorizedRequest(r *http.Request) bool {
	if a.opts.Token == "" {
		return true
	}
	tok, ok := bearer(r)
	return ok && a.tokenMatches(tok)
}

// refuse answers a request without reading its body. When it has one the
// connection is closed after the answer: otherwise the server would read
// what is left of the body first, for as long as the client takes to send
// it.
func refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	closeUnread(w, r)
	writeError(w, code, msg)
	if r.ContentLength != 0 {
		// The server reads up to 256 KiB of an unread body before it
		// closes; a past deadline ends that at once.
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		_ = rc.SetReadDeadline(time.Now())
	}
}

// closeUnread has the connection closed after the answer when the request
// has a body (see refuse).
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
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
