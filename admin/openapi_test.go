package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// doc is the part of the OpenAPI document the route check reads.
type doc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas   map[string]json.RawMessage `json:"schemas"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"components"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// docPath turns a ServeMux pattern into an OpenAPI path: {path...} is {path}.
func docPath(pattern string) string {
	return strings.ReplaceAll(strings.ReplaceAll(pattern, "...}", "}"), "{$}", "")
}

// samplePath fills an OpenAPI path's parameters for a request.
func samplePath(p string) string {
	return strings.NewReplacer("{path}", "dir/file.txt", "{session}", "1", "{name}", "codes/452-stor", "{file}", "app.js").Replace(p)
}

// TestOpenAPIMatchesRoutes checks the embedded OpenAPI document against the
// routes the handler really serves: every registered route is documented
// with its method, every documented operation reaches that route through
// the ServeMux, and no other method does.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var d doc
	if err := json.Unmarshal(openAPIDoc, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.0.") {
		t.Fatalf("openapi version %q, want 3.0.x", d.OpenAPI)
	}
	a := New(nil, Options{Token: "t"})
	registered := map[string]bool{}
	for _, rt := range a.routes() {
		key := rt.method + " " + docPath(rt.pattern)
		registered[key] = true
		ops, ok := d.Paths[docPath(rt.pattern)]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.method, rt.pattern)
			continue
		}
		if _, ok := ops[strings.ToLower(rt.method)]; !ok {
			t.Errorf("route %s %s: openapi.json has no %s operation on %s", rt.method, rt.pattern, strings.ToLower(rt.method), docPath(rt.pattern))
		}
	}
	var documented []string
	for p, ops := range d.Paths {
		for _, m := range httpMethods {
			req := httptest.NewRequest(strings.ToUpper(m), samplePath(p), nil)
			_, pattern := a.mux.Handler(req)
			if _, ok := ops[m]; ok {
				documented = append(documented, strings.ToUpper(m)+" "+p)
				if !registered[strings.ToUpper(m)+" "+p] {
					t.Errorf("openapi.json documents %s %s, which is not a route", strings.ToUpper(m), p)
				}
				if want := strings.ToUpper(m) + " "; !strings.HasPrefix(pattern, want) || docPath(strings.TrimPrefix(pattern, want)) != p {
					t.Errorf("%s %s reaches pattern %q", strings.ToUpper(m), samplePath(p), pattern)
				}
				checkOperation(t, &d, strings.ToUpper(m)+" "+p, ops[m])
			} else if pattern != "" && !(m == "head" && ops["get"] != nil) {
				t.Errorf("%s %s is served (pattern %q) but not documented", strings.ToUpper(m), p, pattern)
			}
		}
	}
	sort.Strings(documented)
	if len(documented) != len(registered) {
		t.Errorf("%d documented operations, %d routes: %v", len(documented), len(registered), documented)
	}
}

// checkOperation checks that an operation has responses, that every $ref
// in it resolves, and that routes behind the token document 401.
func checkOperation(t *testing.T, d *doc, name string, raw json.RawMessage) {
	t.Helper()
	var op struct {
		OperationID string                     `json:"operationId"`
		Responses   map[string]json.RawMessage `json:"responses"`
		Security    *[]any                     `json:"security"`
	}
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if op.OperationID == "" || len(op.Responses) == 0 {
		t.Errorf("%s: needs an operationId and responses", name)
	}
	open := op.Security != nil && len(*op.Security) == 0
	if _, has := op.Responses["401"]; !open && !has {
		t.Errorf("%s: needs the token but documents no 401", name)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				switch {
				case strings.HasPrefix(ref, "#/components/schemas/"):
					if _, ok := d.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]; !ok {
						t.Errorf("%s: dangling %s", name, ref)
					}
				case strings.HasPrefix(ref, "#/components/responses/"):
					if _, ok := d.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")]; !ok {
						t.Errorf("%s: dangling %s", name, ref)
					}
				default:
					t.Errorf("%s: unexpected $ref %s", name, ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	walk(v)
}

// TestOpenAPIServed checks that the document is served as it is embedded,
// and that the probes it marks open really need no token.
func TestOpenAPIServed(t *testing.T) {
	a := New(nil, Options{Token: "t"})
	req := httptest.NewRequest("GET", "http://127.0.0.1:8021/api/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer t")
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.String() != string(openAPIDoc) || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/openapi.json: %d %s", rec.Code, rec.Header())
	}
	var d doc
	_ = json.Unmarshal(openAPIDoc, &d)
	for _, rt := range a.routes() {
		var op struct {
			Security *[]any `json:"security"`
		}
		_ = json.Unmarshal(d.Paths[docPath(rt.pattern)][strings.ToLower(rt.method)], &op)
		documentedOpen := op.Security != nil && len(*op.Security) == 0
		if documentedOpen != rt.open {
			t.Errorf("%s %s: open %v, documented open %v", rt.method, rt.pattern, rt.open, documentedOpen)
		}
	}
}
