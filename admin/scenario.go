package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/scenario"
)

// Source names of bodies, as they appear in located errors.
const (
	scenarioSource = "<scenario>"
	ruleSource     = "<rule>"
)

// wantsJSON says whether the client asked for JSON rather than YAML,
// with ?format=json or an Accept header that prefers application/json.
func wantsJSON(r *http.Request) bool {
	switch strings.ToLower(r.URL.Query().Get("format")) {
	case "json":
		return true
	case "yaml":
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			return true
		case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
			return false
		}
	}
	return false
}

func (a *API) getScenario(w http.ResponseWriter, r *http.Request) {
	sc := a.srv.Scenario()
	var (
		text  []byte
		err   error
		ctype = "application/yaml"
	)
	if wantsJSON(r) {
		// the model's JSON is a scenario file: it can be PUT back as it is
		text, err = json.MarshalIndent(sc, "", "  ")
		text = append(text, '\n')
		ctype = "application/json"
	} else {
		text, err = sc.Format()
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "writing the scenario: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	_, _ = w.Write(text)
}

// readBody reads a request body of at most limit bytes; on failure it has
// answered the request and returns false.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes over the limit of %d bytes", r.ContentLength, limit))
		return nil, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		bodyError(w, err, limit)
		return nil, false
	}
	return data, true
}

// scenarioErrors answers 400 with a scenario's located errors.
func scenarioErrors(w http.ResponseWriter, summary string, err error) {
	body := errorBody{Error: summary}
	var list scenario.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			body.Errors = append(body.Errors, e.Error())
		}
	} else {
		body.Errors = []string{err.Error()}
	}
	if len(body.Errors) == 1 {
		body.Error = summary + ": " + body.Errors[0]
	} else {
		body.Error = fmt.Sprintf("%s: %d problems (see errors)", summary, len(body.Errors))
	}
	writeJSON(w, http.StatusBadRequest, body)
}

// hostPaths lists the files of sc that copy from the host ("from:"), which
// the admin API does not accept: it would let an API client read the
// server machine's files.
func hostPaths(sc *scenario.Scenario) []string {
	var out []string
	for i, f := range sc.Files {
		if f.From != "" {
			out = append(out, fmt.Sprintf("%s: files[%d] (%s): \"from\" copies host files and is not accepted through the admin API; use content, base64 or size, or PUT /api/files/{path}", scenarioSource, i, f.Path))
		}
	}
	return out
}

type scenarioBody struct {
	Name  string `json:"name,omitempty"`
	Rules int    `json:"rules"`
	Files int    `json:"files"`
	// Expectations counts the scenario's expect entries.
	Expectations int `json:"expectations"`
	// Seeded and Kept count the scenario's files seeded when it was put in
	// force (their path did not exist) and left as they were (it did).
	Seeded int  `json:"seeded"`
	Kept   int  `json:"kept"`
	Reset  bool `json:"reset"`
}

// putScenario replaces the scenario in force. With ?reset=true the server
// is also reset, so the new scenario's files are seeded at once.
func (a *API) putScenario(w http.ResponseWriter, r *http.Request) {
	data, ok := readBody(w, r, a.opts.MaxBodyBytes)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		writeError(w, http.StatusBadRequest, `empty body: send a scenario in YAML or JSON, at least "version: 1"`)
		return
	}
	reset := false
	if v := r.URL.Query().Get("reset"); v != "" {
		var err error
		if reset, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("reset=%q: want true or false", v))
			return
		}
	}
	sc, err := scenario.Parse(scenarioSource, data)
	if err != nil {
		scenarioErrors(w, "bad scenario; the running scenario is unchanged", err)
		return
	}
	if bad := hostPaths(sc); len(bad) > 0 {
		scenarioErrors(w, "bad scenario; the running scenario is unchanged", errors.New(strings.Join(bad, "\n")))
		return
	}
	seeded, err := a.srv.ReplaceScenario(sc)
	if err != nil {
		scenarioErrors(w, "bad scenario; the running scenario is unchanged", err)
		return
	}
	if reset {
		if err := a.srv.Reset(); err != nil {
			writeError(w, http.StatusInternalServerError, "the scenario is in force, but the reset failed: "+err.Error())
			return
		}
	}
	a.opts.Logger.Info("admin: scenario replaced; files not there yet were seeded, existing paths kept as they are unless reset",
		"name", sc.Name, "rules", len(sc.Rules), "files", len(sc.Files), "seeded", seeded.New, "kept", seeded.Kept, "reset", reset)
	writeJSON(w, http.StatusOK, scenarioBody{Name: sc.Name, Rules: len(sc.Rules), Files: len(sc.Files), Expectations: len(sc.Expect),
		Seeded: seeded.New, Kept: seeded.Kept, Reset: reset})
}

// parseRule reads one rule written as an item of a scenario's "rules:"
// list, in YAML or JSON, e.g. "when: {command: STOR}\nreply: 452 Disk full".
// Errors are located in data as "<rule>:line:col: message". The rule may
// match the states the rules of in move to, and use its custom commands.
func parseRule(data []byte, in *scenario.Scenario) (scenario.Rule, error) {
	return scenario.ParseRule(ruleSource, data, in)
}

type rulesBody struct {
	Added string `json:"added,omitempty"` // the new rule's label
	Rules int    `json:"rules"`           // how many rules are in force now
}

func (a *API) addRule(w http.ResponseWriter, r *http.Request) {
	data, ok := readBody(w, r, a.opts.MaxBodyBytes)
	if !ok {
		return
	}
	rule, err := parseRule(data, a.srv.Scenario()) // its states and custom commands
	if err != nil {
		scenarioErrors(w, "bad rule; the rules in force are unchanged", err)
		return
	}
	if err := a.srv.AddRule(rule); err != nil {
		scenarioErrors(w, "bad rule; the rules in force are unchanged", err)
		return
	}
	sc := a.srv.Scenario()
	label := rule.Name
	if label == "" {
		label = sc.Rules[0].Label()
	}
	a.opts.Logger.Info("admin: rule added", "rule", label, "rules", len(sc.Rules))
	writeJSON(w, http.StatusCreated, rulesBody{Added: label, Rules: len(sc.Rules)})
}

func (a *API) clearRules(w http.ResponseWriter, r *http.Request) {
	a.srv.ClearRules()
	a.opts.Logger.Info("admin: rules cleared")
	writeJSON(w, http.StatusOK, rulesBody{Rules: len(a.srv.Scenario().Rules)})
}

type stateBody struct {
	State *string `json:"state"`
}

func (a *API) getState(w http.ResponseWriter, r *http.Request) {
	s := a.srv.State()
	writeJSON(w, http.StatusOK, stateBody{State: &s})
}

func (a *API) putState(w http.ResponseWriter, r *http.Request) {
	data, ok := readBody(w, r, a.opts.MaxBodyBytes)
	if !ok {
		return
	}
	var body stateBody
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.State == nil {
		msg := `want a JSON object such as {"state": "down"} ("" is the start state)`
		if err != nil {
			msg = "bad body: " + err.Error() + "; " + msg
		}
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	a.srv.SetState(*body.State)
	a.opts.Logger.Info("admin: state set", "state", *body.State)
	writeJSON(w, http.StatusOK, body)
}

func (a *API) reset(w http.ResponseWriter, r *http.Request) {
	if err := a.srv.Reset(); err != nil {
		writeError(w, http.StatusInternalServerError, "reset failed: "+err.Error())
		return
	}
	a.opts.Logger.Info("admin: reset")
	writeJSON(w, http.StatusOK, map[string]bool{"reset": true})
}
