package scenario

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestJSONRoundTrip: the model's JSON is a scenario file that Parse reads
// back to the same scenario, for every file of the repository.
func TestJSONRoundTrip(t *testing.T) {
	for _, f := range exampleFiles(t) {
		sc, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse("round.json", b)
		if err != nil {
			t.Fatalf("%s: its JSON does not parse: %v\n%s", f, err, b)
		}
		if !reflect.DeepEqual(comparable(sc), comparable(again)) {
			t.Errorf("%s: JSON round trip differs:\n%s", f, b)
		}
		var viaJSON Scenario
		if err := json.Unmarshal(b, &viaJSON); err != nil || !reflect.DeepEqual(comparable(sc), comparable(&viaJSON)) {
			t.Errorf("%s: json.Unmarshal: %v", f, err)
		}
	}
}

// TestJSONForm: durations as strings, sizes as numbers, every list a list,
// every reply a mapping.
func TestJSONForm(t *testing.T) {
	sc := mustParse(t, `version: 1
files: [{path: /big, size: 1PiB, modtime: 2024-05-01}]
settings: {idle_timeout: 1m30s, disable: EPSV}
rules:
  - when: {command: RETR, arg: /a}
    delay: {min: 1.5s, max: 2s}
    data: {after: 1KiB, chunk: 10, chunk_delay: 250ms, reply: none}
  - when: {command: STOR}
    reply: 452 Full
`)
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"files":[{"path":"/big","size":1125899906842624,"modtime":"2024-05-01T00:00:00Z"}],` +
		`"settings":{"disable":["EPSV"],"idle_timeout":"1m30s"},"rules":[` +
		`{"when":{"command":["RETR"],"arg":{"exact":"/a"}},"delay":{"min":"1.5s","max":"2s"},"pass":true,"data":{"after":1024,"reply":"none","chunk":10,"chunk_delay":"250ms"}},` +
		`{"when":{"command":["STOR"]},"reply":[{"code":452,"text":"Full"}]}]}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

// TestNormalizeIsPure: Validate and Normalize never change what they are
// given; Normalize returns a copy sharing nothing with it.
func TestNormalizeIsPure(t *testing.T) {
	for _, f := range exampleFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := raw(t, f, src)
		before := clone(sc)
		if err := sc.Validate(); err != nil {
			t.Fatal(err)
		}
		n, err := sc.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sc, before) {
			t.Fatalf("%s: Validate or Normalize changed their scenario", f)
		}
		again, _ := n.Normalize()
		if !reflect.DeepEqual(n, again) {
			t.Errorf("%s: Normalize is not idempotent", f)
		}
		for i := range n.Rules {
			n.Rules[i].Steps[0].Replies = append(n.Rules[i].Steps[0].Replies, Reply{Code: 599})
			if w := n.Rules[i].When.Commands; len(w) > 0 {
				w[0] = "CHANGED"
			}
		}
		if !reflect.DeepEqual(sc, before) {
			t.Fatalf("%s: the normalised copy shares memory with its source", f)
		}
	}
}

// raw decodes a scenario without normalising it.
func raw(t *testing.T, name string, src []byte) *Scenario {
	root, err := document(name, src, "empty", "second")
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(name, len(src))
	sc := &Scenario{Source: name}
	d.value(root, reflect.ValueOf(sc).Elem(), nil)
	if len(d.errs) > 0 {
		t.Fatal(d.errs)
	}
	return sc
}

// TestSharedScenarioRace: one scenario used at once by validation,
// normalisation, formatting and JSON (run with -race; ftptest runs servers
// on one shared scenario).
func TestSharedScenarioRace(t *testing.T) {
	shared := New("shared").WithSeed(3).GeneratedFile("/g", 10).Disable("epsv").
		Rule(On("stor").Nth(2).Reply(452, "")).
		Rule(On("RETR").Responses(ReplyStep(450, ""), PassStep()))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := shared.Validate(); err != nil {
				t.Error(err)
			}
			if _, err := shared.Normalize(); err != nil {
				t.Error(err)
			}
			if _, err := shared.Format(); err != nil {
				t.Error(err)
			}
			if _, err := json.Marshal(shared); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if shared.Rules[0].When.Commands[0] != "stor" || shared.Files[0].Seed != 0 || shared.Settings.Disable[0] != "epsv" {
		t.Errorf("the shared scenario changed: %+v", shared)
	}
}

// TestNumbersWritten: a number written in a file holds its bounds; zero is
// not "unset" there (times: 0 and nth: 0 are errors with a hint), while an
// expectation's times: 0 means never.
func TestNumbersWritten(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rules:\n  - when: {command: STOR}\n    times: 0\n", `n.yaml:4:12: expected a number of times (1 or more), got 0: leave times out for no limit`},
		{"rules:\n  - when: {command: STOR, nth: 0}\n", `n.yaml:3:32: expected a position (1 for the first), got 0: leave nth out to match every command`},
		{"rules:\n  - when: {command: STOR, nth: -1}\n", `n.yaml:3:32: expected a position (1 for the first), got -1`},
		{"rules:\n  - when: {session: 0}\n", `n.yaml:3:21: expected a session number (1 or more), got 0: leave session out to match every session`},
		{"rules:\n  - when: {command: RETR}\n    data: {rate: 0}\n", `n.yaml:4:18: expected a rate in bytes per second, like 64000 or "1MiB", got 0`},
		{"expect:\n  - {command: STOR, times: -1}\n", `n.yaml:3:28: expected a number of times (0 or more), got -1`},
	} {
		_, err := Parse("n.yaml", []byte("version: 1\n"+tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s\ngot  %v\nwant %s", tc.in, err, tc.want)
		}
	}
	sc := mustParse(t, "version: 1\nexpect:\n  - {command: DELE, times: 0}\n")
	if *sc.Expect[0].Exactly != 0 {
		t.Errorf("times: 0 on an expectation: %+v", sc.Expect[0])
	}
	// in Go, a negative number is an error and zero means unset
	err := New("go").Rule(On("STOR").Nth(-1)).Validate()
	if err == nil || !strings.Contains(err.Error(), "go: rule #1: when.nth: expected a position (1 for the first), got -1") {
		t.Errorf("Go nth -1: %v", err)
	}
	if err := New("go").Rule(On("STOR").Nth(0)).Validate(); err == nil || !strings.Contains(err.Error(), "Nth must be 1 or more") {
		t.Errorf("Go Nth(0): %v", err)
	}
}

// TestHugeSizesAndNames: sizes up to exabytes parse, validate and format;
// file names that would forge replies are refused.
func TestHugeSizesAndNames(t *testing.T) {
	sc := mustParse(t, "version: 1\nfiles:\n  - {path: /tera.bin, size: 1TiB}\n  - {path: /peta.bin, size: 1PiB}\n  - {path: /p2, size: 2.5PB}\n  - {path: /e, size: 7EiB}\n")
	if sc.Files[0].Size != 1<<40 || sc.Files[1].Size != 1<<50 || sc.Files[2].Size != 2_500_000_000_000_000 {
		t.Errorf("sizes %+v", sc.Files)
	}
	if out, _ := sc.Format(); !strings.Contains(string(out), "size: 1PiB") {
		t.Errorf("format:\n%s", out)
	}
	for _, tc := range []struct{ in, want string }{
		{`{path: "/a\r\n212 forged"}`, `f.yaml:3:12: path "/a\r\n212 forged" must not contain a line break (CR, LF) or NUL: it would forge replies`},
		{`{path: "/nul\u0000"}`, `f.yaml:3:12: path "/nul\x00" must not contain a line break (CR, LF) or NUL: it would forge replies`},
		{`{path: /big, size: 9EiB}`, `f.yaml:3:24: size "9EiB" is too large`},
	} {
		_, err := Parse("f.yaml", []byte("version: 1\nfiles:\n  - "+tc.in+"\n"))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s\ngot  %v\nwant %s", tc.in, err, tc.want)
		}
	}
	err := New("go").UserHome("u", "p", "/home\n").Validate()
	if err == nil || !strings.Contains(err.Error(), "must not contain a line break") {
		t.Errorf("home with LF: %v", err)
	}
}

func TestDurationsInGo(t *testing.T) {
	err := New("go").Rule(On("RETR").Delay(-time.Second)).Validate()
	if err == nil || !strings.Contains(err.Error(), "rule #1: steps[0].delay.min: a duration must not be negative, got -1s") {
		t.Errorf("negative delay: %v", err)
	}
}
