package admin

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/scenarios"
)

// The live page: GET /ui/ serves one HTML page, its script and its style,
// embedded in the binary; the page reads GET /api/events (and the other
// routes) with the token the person gives it, kept in the tab's
// sessionStorage. The page and its files need no token, so that the page
// can ask for it; what it shows comes through the API. Without JavaScript
// the page still lists the sessions (rendered here) when no token is set,
// or when the request carries it (curl -H "Authorization: Bearer ...").

//go:embed ui
var uiFiles embed.FS

var pageTemplate = template.Must(template.New("index.html").Funcs(template.FuncMap{
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("15:04:05.000")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"host": func(addr string) string {
		if h, _, err := net.SplitHostPort(addr); err == nil {
			return h
		}
		return addr
	},
}).ParseFS(uiFiles, "ui/index.html"))

// assets are the page's files and their types (the page itself aside).
var assets = map[string]string{
	"app.js":   "text/javascript; charset=utf-8",
	"app.css":  "text/css; charset=utf-8",
	"icon.svg": "image/svg+xml",
}

// pagePolicy lets the page run its own script and style, talk to its own
// origin, and nothing else: no inline script, no other site, no frames.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

type pageData struct {
	FTPAddr       string
	AdminHost     string // the Host the page was asked for
	Scenario      string
	State         string
	TokenRequired bool
	// Authorized is true when the sessions can be shown here: no token
	// is set, or the request carries it.
	Authorized bool
	Sessions   []sessionSummary // newest first
	Dropped    int64
}

func (a *API) page(w http.ResponseWriter, r *http.Request) {
	d := pageData{FTPAddr: a.srv.Addr(), AdminHost: r.Host, TokenRequired: a.opts.Token != "", Authorized: a.authorizedRequest(r)}
	if d.Authorized {
		sc := a.srv.Scenario()
		d.Scenario, d.State = sc.Name, a.srv.State()
		if d.Scenario == "" {
			d.Scenario = "command line"
			if sc.Source != "" && !strings.HasPrefix(sc.Source, "<") {
				d.Scenario = sc.Source
			}
		}
		book, _ := a.summarize()
		d.Sessions = book.list()
		slices.Reverse(d.Sessions)
		d.Dropped = a.srv.Journal().Stats().Dropped
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		writeError(w, http.StatusInternalServerError, "rendering the page: "+err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pagePolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

func (a *API) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ctype, ok := assets[name]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no file %s: the page is at /ui/", r.URL.Path))
		return
	}
	data, err := uiFiles.ReadFile(path.Join("ui", name))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// uiRedirect sends /ui to the page, /ui/.
func (a *API) uiRedirect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Location", "/ui/")
	writeJSON(w, http.StatusMovedPermanently, redirectBody{Location: "/ui/", Message: "the page is at /ui/"})
}

type builtinInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// builtins lists the scenarios of package scenarios (builtin:NAME).
func (a *API) builtins(w http.ResponseWriter, r *http.Request) {
	list := scenarios.List()
	out := make([]builtinInfo, len(list))
	for i, in := range list {
		out[i] = builtinInfo{Name: in.Name, Description: in.Description}
	}
	writeJSON(w, http.StatusOK, map[string][]builtinInfo{"builtins": out})
}

// builtin answers one built-in scenario's file, to read or to PUT to
// /api/scenario.
func (a *API) builtin(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	data, err := scenarios.ReadFile(name)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, fs.ErrNotExist) {
			code = http.StatusNotFound
		}
		writeError(w, code, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
