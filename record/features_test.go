package record_test

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/clientscript"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/record"
	"github.com/mockftpd/mockftpd/scenario"
)

// Replay features a recording may use that the scenario language (or the
// engine) may not have yet. Each has a probe that says whether it has.
const (
	featPath        = "when.path"        // when: {command: RETR, path: /pub/a.txt}
	featDataContent = "data.content"     // data: {content: "..."} / {base64: "..."}
	featStrict      = "settings.strict"  // settings: {strict: true}
	featPrelimList  = "preliminary.list" // preliminary: [150 ..., 150 ...]
	featAddress     = "final.{address}"  // final: 227 Entering Passive Mode ({address}).
	// pass: true, preliminary: 150 ..., data: {refuse: close, reply: 522 ...}
	// sends the 150 before refusing the data connection
	featRefusePrelim = "data.refuse+preliminary"
	// a scripted error reply to a transfer command closes the data
	// connection the client already opened, as ProFTPD and pure-ftpd do
	featErrorClosesData = "transfer-error-closes-data"
)

var probes = map[string]func(t *testing.T) bool{
	featPath:            parses("rules: [{when: {command: RETR, path: /a.txt}, reply: 550 No}]"),
	featDataContent:     parses("rules: [{when: {command: LIST}, pass: true, data: {content: \"x\\r\\n\"}}]"),
	featStrict:          parses("settings: {strict: true}"),
	featPrelimList:      parses("rules: [{when: {command: RETR}, pass: true, preliminary: [150 a, 150 b]}]"),
	featAddress:         passiveTemplateWorks,
	featRefusePrelim:    refusalAfterPreliminaryWorks,
	featErrorClosesData: errorClosesData,
}

// probeSession logs in to a mockftpd serving rules and opens a passive
// data connection, for a probe to try a transfer command on.
func probeSession(t *testing.T, rules string) (*testclient.Raw, net.Conn) {
	srv := ftptest.New(t, ftptest.WithScenarioText("version: 1\nrules: ["+rules+"]\n"))
	c := testclient.RawDial(t, srv.Addr())
	c.Login("probe", "probe")
	d, err := net.DialTimeout("tcp", testclient.PasvAddr(t, c.Cmd(227, "PASV")), testclient.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return c, d
}

// errorClosesData asks a mockftpd whether a scripted error reply to a
// transfer command closes the client's open data connection.
func errorClosesData(t *testing.T) bool {
	c, d := probeSession(t, "{when: {command: APPE}, reply: 451 No}")
	c.Cmd(451, "APPE /x")
	_ = d.SetReadDeadline(time.Now().Add(time.Second))
	_, err := d.Read(make([]byte, 1))
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// refusalAfterPreliminaryWorks asks a mockftpd whether it sends a step's
// preliminary reply before refusing the data connection.
func refusalAfterPreliminaryWorks(t *testing.T) bool {
	const rule = "{when: {command: LIST}, pass: true, preliminary: 150 Here, data: {refuse: close, reply: 522 No}}"
	if !parses("rules: [" + rule + "]")(t) {
		return false // the language refuses the combination: no engine does it yet
	}
	c, _ := probeSession(t, rule)
	c.Send("LIST")
	code, _, _ := c.Read()
	return code == 150
}

func parses(rules string) func(t *testing.T) bool {
	return func(t *testing.T) bool {
		_, err := scenario.Parse("<probe>", []byte("version: 1\n"+rules+"\n"))
		return err == nil
	}
}

// passiveTemplateWorks asks a mockftpd whether it fills {address} in a
// passed PASV's final reply.
func passiveTemplateWorks(t *testing.T) bool {
	srv := ftptest.New(t, ftptest.WithScenarioText("version: 1\nrules: [{when: {command: PASV}, pass: true, final: \"227 Entering Passive Mode ({address}).\"}]\n"))
	c := testclient.RawDial(t, srv.Addr())
	c.Login("probe", "probe")
	text := c.Cmd(227, "PASV")
	return !strings.Contains(text, record.PassiveTemplate)
}

var (
	probeMu   sync.Mutex
	probeSeen = map[string]bool{}
)

// needsReplayFeature skips the test unless mockftpd can replay every
// named feature; the skip message names the missing ones.
func needsReplayFeature(t *testing.T, features ...string) {
	t.Helper()
	if missing := missingFeatures(t, features...); len(missing) > 0 {
		t.Skipf("replay needs scenario features mockftpd does not have yet: %s", strings.Join(missing, ", "))
	}
}

// missingFeatures returns the features mockftpd cannot replay yet.
func missingFeatures(t *testing.T, features ...string) []string {
	t.Helper()
	var missing []string
	for _, f := range features {
		probeMu.Lock()
		ok, done := probeSeen[f]
		probeMu.Unlock()
		if !done {
			ok = probes[f](t)
			probeMu.Lock()
			probeSeen[f] = ok
			probeMu.Unlock()
		}
		if !ok {
			missing = append(missing, f)
		}
	}
	return missing
}

// withoutFeatures returns a copy of rec that does without the missing
// features, and the normalisations that hide what it then replays
// differently: listings in mockftpd's own format, mockftpd's own 227/229
// wording.
func withoutFeatures(rec *record.Recorded, missing []string) (*record.Recorded, []clientscript.Normalisation) {
	cp := *rec
	cp.Rules = nil
	var hide []clientscript.Normalisation
	for _, f := range missing {
		switch f {
		case featDataContent:
			hide = append(hide, clientscript.NewNormalisation("listings", `^= ([^:]*(LIST|NLST|MLSD)[^:]*): .*`, "= $1: (listing)"))
		case featAddress:
			hide = append(hide, clientscript.NewNormalisation("passive replies", `^< (227|229) .*`, "< $1 (passive reply)"))
		case featStrict:
			cp.Settings.Strict = false
		}
	}
	for _, r := range rec.Rules {
		r.Steps = append([]record.Step(nil), r.Steps...)
		for i := range r.Steps {
			st := &r.Steps[i]
			if slices.Contains(missing, featDataContent) {
				st.Data = nil
			}
			if slices.Contains(missing, featAddress) && st.Final != nil && strings.Contains(st.Final.Text+st.Final.Raw, record.PassiveTemplate) {
				st.Final = nil
			}
			if slices.Contains(missing, featPrelimList) && len(st.Preliminary) > 1 {
				st.Preliminary = st.Preliminary[len(st.Preliminary)-1:]
			}
		}
		if slices.Contains(missing, featPath) && r.When.Path != "" {
			continue // the rule cannot be written; the command passes
		}
		cp.Rules = append(cp.Rules, r)
	}
	return &cp, hide
}

// usedFeatures lists the replay features a recorded scenario uses.
func usedFeatures(rec *record.Recorded) []string {
	used := map[string]bool{featStrict: rec.Settings.Strict}
	for _, r := range rec.Rules {
		used[featPath] = used[featPath] || r.When.Path != ""
		for _, st := range r.Steps {
			used[featDataContent] = used[featDataContent] || st.Data != nil
			used[featPrelimList] = used[featPrelimList] || len(st.Preliminary) > 1
			if st.Final != nil && strings.Contains(st.Final.Text+st.Final.Raw, record.PassiveTemplate) {
				used[featAddress] = true
			}
			used[featRefusePrelim] = used[featRefusePrelim] || (st.RefuseData && len(st.Preliminary) > 0)
			used[featErrorClosesData] = used[featErrorClosesData] || st.ClosedData
		}
	}
	var out []string
	for _, f := range []string{featPath, featDataContent, featStrict, featPrelimList, featAddress, featRefusePrelim, featErrorClosesData} {
		if used[f] {
			out = append(out, f)
		}
	}
	return out
}
