package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

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
	text, err := sc.Format()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "formatting the scenario: "+err.Error())
		return
	}
	if wantsJSON(r) {
		var doc yaml.Node
		if err := yaml.Unmarshal(text, &doc); err != nil {
			writeError(w, http.StatusInternalServerError, "converting the scenario to JSON: "+err.Error())
			return
		}
		var buf bytes.Buffer
		if err := nodeJSON(&buf, &doc, 0); err != nil {
			writeError(w, http.StatusInternalServerError, "converting the scenario to JSON: "+err.Error())
			return
		}
		var out bytes.Buffer
		if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
			writeError(w, http.StatusInternalServerError, "converting the scenario to JSON: "+err.Error())
			return
		}
		out.WriteByte('\n')
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
		_, _ = w.Write(out.Bytes())
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	_, _ = w.Write(text)
}

// nodeJSON writes a YAML node as JSON, keeping the order of mapping keys
// (the scenario file's order) and the scalar types YAML resolved.
func nodeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > 100 {
		return errors.New("nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return nodeJSON(buf, n.Content[0], depth+1)
	case yaml.AliasNode:
		return nodeJSON(buf, n.Alias, depth+1)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			buf.Write(k)
			buf.WriteByte(':')
			if err := nodeJSON(buf, n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := nodeJSON(buf, c, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		switch n.ShortTag() {
		case "!!int", "!!float", "!!bool", "!!null":
			if err := n.Decode(&v); err != nil {
				return err
			}
		default:
			v = n.Value
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	default:
		return fmt.Errorf("unexpected YAML node kind %d", n.Kind)
	}
	return nil
}

// readBody reads a request body of at most limit bytes; on failure it has
// answered the request and returns false.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes over the limit of %d bytes", r.ContentLength, limit))
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
	Expectations int  `json:"expectations"`
	Reset        bool `json:"reset"`
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
	if err := a.srv.SetScenario(sc); err != nil {
		scenarioErrors(w, "bad scenario; the running scenario is unchanged", err)
		return
	}
	if reset {
		if err := a.srv.Reset(); err != nil {
			writeError(w, http.StatusInternalServerError, "the scenario is in force, but the reset failed: "+err.Error())
			return
		}
	}
	a.opts.Logger.Info("admin: scenario replaced", "name", sc.Name, "rules", len(sc.Rules), "reset", reset)
	writeJSON(w, http.StatusOK, scenarioBody{Name: sc.Name, Rules: len(sc.Rules), Files: len(sc.Files), Expectations: len(sc.Expect), Reset: reset})
}

// ParseRule reads one rule written as an item of a scenario's "rules:"
// list, in YAML or JSON, e.g. "when: {command: STOR}\nreply: 452 Disk full".
// Errors are located in data as "<rule>:line:col: message". states lists
// scenario states that other rules set (with next_state), so that a rule
// may match them.
func ParseRule(data []byte, states []string) (scenario.Rule, error) {
	return scenario.ParseRule(ruleSource, data, states)
}

// statesSet lists the states the rules of sc move to.
func statesSet(sc *scenario.Scenario) []string {
	var out []string
	for _, r := range sc.Rules {
		if r.NextState != "" && !slices.Contains(out, r.NextState) {
			out = append(out, r.NextState)
		}
	}
	return out
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
	rule, err := ParseRule(data, statesSet(a.srv.Scenario()))
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
