package mockftpd_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftpcode"
	"github.com/mockftpd/mockftpd/scenario"
)

// codesDir holds one scenario file per reply code and context.
const codesDir = "scenarios/codes"

// sharedCodes is the reference list of codes the project must cover,
// when it is there (it lives beside the repository, not in it).
const sharedCodes = "../shared/reply-codes.tsv"

// injectedCodes lists the codes a scenario sends of its own: scripted
// replies, rewritten preliminary and final replies, and the final reply
// of a cut transfer.
func injectedCodes(sc *scenario.Scenario) map[int]bool {
	codes := map[int]bool{}
	add := func(r *scenario.Reply) {
		if r != nil && r.Code != 0 {
			codes[r.Code] = true
		}
	}
	for _, rule := range sc.Rules {
		for _, s := range rule.Steps {
			for _, rs := range [][]scenario.Reply{s.Replies, s.Preliminary, s.Final} {
				for i := range rs {
					add(&rs[i])
				}
			}
			if s.Data != nil {
				add(s.Data.Reply)
			}
		}
	}
	return codes
}

// testCodeCoverage checks that the files under scenarios/codes inject
// every code of the catalogue (and of the shared reference list), and
// nothing else; that each is well described and used by a case; and that
// the cases cover every code where it is typical and, for the codes a
// client expects there (1xx, 2xx, 3xx, 6xx), also where it is not.
func testCodeCoverage(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(codesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files under %s: %v", codesDir, err)
	}
	fileCodes := map[string]map[int]bool{}
	injected := map[int]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("# ")) {
			t.Errorf("%s: no top comment saying what it injects where", f)
		}
		sc, err := scenario.Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if sc.Name != name || sc.Description == "" {
			t.Errorf("%s: name %q, description %q: want the file's name and a description", f, sc.Name, sc.Description)
		}
		codes := injectedCodes(sc)
		if code, err := strconv.Atoi(name[:3]); err != nil || !codes[code] {
			t.Errorf("%s: the name must start with a code the file injects (it injects %v)", f, sortedCodes(codes))
		}
		fileCodes[name] = codes
		for c := range codes {
			injected[c] = true
		}
	}

	catalogue := map[int]bool{}
	for _, c := range ftpcode.All() {
		catalogue[c.Code] = true
	}
	compareCodes(t, "the catalogue (ftpcode.All)", catalogue, injected)
	if ref, err := readSharedCodes(sharedCodes); err == nil {
		compareCodes(t, sharedCodes, ref, injected)
	} else if !os.IsNotExist(err) {
		t.Errorf("%s: %v", sharedCodes, err)
	} else {
		t.Logf("%s is absent: compared with the catalogue only", sharedCodes)
	}

	used := map[string]bool{}
	typical, elsewhere := map[int]bool{}, map[int]bool{}
	keys := map[string]bool{}
	for _, c := range codeCases {
		if keys[c.key()] {
			t.Errorf("two cases for %q", c.key())
		}
		keys[c.key()] = true
		used[c.File] = true
		codes, ok := fileCodes[c.File]
		switch {
		case !ok:
			t.Errorf("case %q: no file %s/%s.yaml", c.key(), codesDir, c.File)
			continue
		case !codes[c.Code]:
			t.Errorf("case %q: %s.yaml does not inject %d", c.key(), c.File, c.Code)
		}
		if !c.Typical {
			elsewhere[c.Code] = true
			continue
		}
		typical[c.Code] = true
		if e, _ := ftpcode.Lookup(c.Code); !namesTypicalPlace(c.Context, e.Commands) {
			t.Errorf("case %q is marked typical but names none of %q", c.key(), e.Commands)
		}
	}
	for name := range fileCodes {
		if !used[name] {
			t.Errorf("%s/%s.yaml is used by no case", codesDir, name)
		}
	}
	for _, e := range ftpcode.All() {
		if !typical[e.Code] {
			t.Errorf("code %d has no case where it is typical (%s)", e.Code, strings.Join(e.Commands, ", "))
		}
		if d := e.Code / 100; (d == 1 || d == 2 || d == 3 || d == 6) && !elsewhere[e.Code] {
			t.Errorf("code %d has no case where the client does not expect it", e.Code)
		}
	}
}

// namesTypicalPlace reports whether a case's context names one of the
// places the catalogue gives for its code.
func namesTypicalPlace(context string, places []string) bool {
	for _, p := range places {
		if strings.HasPrefix(p, "any ") {
			return true
		}
		word, _, _ := strings.Cut(p, " ")
		if word == "connection" {
			word = "greeting"
		}
		for w := range strings.SplitSeq(word, "+") {
			if strings.Contains(context, w) {
				return true
			}
		}
	}
	return false
}

func compareCodes(t *testing.T, source string, want, got map[int]bool) {
	t.Helper()
	var missing, extra []int
	for c := range want {
		if !got[c] {
			missing = append(missing, c)
		}
	}
	for c := range got {
		if !want[c] {
			extra = append(extra, c)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("codes of %s that no file under %s injects: %v", source, codesDir, missing)
	}
	if len(extra) > 0 {
		t.Errorf("codes injected under %s that %s lacks: %v", codesDir, source, extra)
	}
}

// readSharedCodes reads the first column of the reference list: one code
// a line, after comments and a header.
func readSharedCodes(path string) (map[int]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	codes := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		field, _, _ := strings.Cut(sc.Text(), "\t")
		if n, err := strconv.Atoi(field); err == nil && len(field) == 3 {
			codes[n] = true
		}
	}
	return codes, sc.Err()
}

func sortedCodes(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// sharedFaults is the reference list of socket faults the project must
// provoke, when it is there (beside the repository, not in it).
const sharedFaults = "../shared/socket-faults.tsv"

// testFaultCoverage checks that every fault of the shared reference list
// has a case on the control connection and one on the data connection
// (each case runs jlaffaye/ftp and the real clients).
func testFaultCoverage(t *testing.T) {
	f, err := os.Open(sharedFaults)
	if os.IsNotExist(err) {
		t.Logf("%s is absent: the fault cases are not compared with it", sharedFaults)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	has := map[string]bool{}
	for _, c := range faultCases {
		has[c.Conn+"/"+c.Fault] = true
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "fault\t") || strings.TrimSpace(line) == "" {
			continue
		}
		fault, _, _ := strings.Cut(line, "\t")
		n++
		for _, conn := range []string{"control", "data"} {
			if !has[conn+"/"+fault] {
				t.Errorf("%s lists the fault %q, which no case provokes on the %s connection", sharedFaults, fault, conn)
			}
		}
	}
	if err := sc.Err(); err != nil || n == 0 {
		t.Errorf("%s: read %d faults: %v", sharedFaults, n, err)
	}
}
