package ftpcode

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCatalogueSortedAndComplete(t *testing.T) {
	all := All()
	if len(all) != 57 { // the 57 codes of shared/reply-codes.tsv
		t.Errorf("catalogue has %d codes, want 57", len(all))
	}
	for i, e := range all {
		if i > 0 && all[i-1].Code >= e.Code {
			t.Errorf("catalogue not sorted or has duplicates at %d", e.Code)
		}
		if e.Class != ClassOf(e.Code) || e.Class == "" {
			t.Errorf("%d: class %q, ClassOf says %q", e.Code, e.Class, ClassOf(e.Code))
		}
		if e.Meaning == "" || e.Text == "" || len(e.Commands) == 0 {
			t.Errorf("%d: incomplete entry %+v", e.Code, e)
		}
		if strings.ContainsAny(e.Text, "\r\n") {
			t.Errorf("%d: default text has a line break", e.Code)
		}
		if got := DefaultText(e.Code); got != e.Text {
			t.Errorf("DefaultText(%d) = %q, want %q", e.Code, got, e.Text)
		}
		if l, ok := Lookup(e.Code); !ok || l.Code != e.Code {
			t.Errorf("Lookup(%d) = %v, %v", e.Code, l, ok)
		}
		if !Known(e.Code) {
			t.Errorf("Known(%d) = false", e.Code)
		}
	}
}

func TestDefaultTexts(t *testing.T) {
	for code, want := range map[int]string{
		110: "MARK yyyy = mmmm",
		227: "Entering Passive Mode (127,0,0,1,4,1).",
		452: "Insufficient storage space in system.",
		530: "Not logged in.",
		499: "Non-standard reply: transient failure.",
		150: "File status okay; about to open data connection.",
		199: "Non-standard preliminary reply.",
		99:  "Non-standard reply.",
		700: "Non-standard reply.",
	} {
		if got := DefaultText(code); got != want {
			t.Errorf("DefaultText(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestClassOf(t *testing.T) {
	for code, want := range map[int]string{
		100: ClassPreliminary, 299: ClassCompletion, 350: ClassIntermediate,
		499: ClassTransient, 500: ClassPermanent, 633: ClassProtected,
		99: "", 700: "", -1: "", 0: "",
	} {
		if got := ClassOf(code); got != want {
			t.Errorf("ClassOf(%d) = %q, want %q", code, got, want)
		}
	}
	if _, ok := Lookup(499); ok {
		t.Error("Lookup(499) found an entry")
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	a, _ := Lookup(150)
	a.Commands[0] = "CHANGED"
	b, _ := Lookup(150)
	if b.Commands[0] == "CHANGED" {
		t.Error("Lookup shares its Commands slice with the catalogue")
	}
}

// sharedTSV finds shared/reply-codes.tsv beside the module root (a folder
// holding go.mod) by walking up from the working directory.
func sharedTSV(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(dir), "shared", "reply-codes.tsv")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		if p := filepath.Join(dir, "shared", "reply-codes.tsv"); fileExists(p) {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestMatchesSharedTSV(t *testing.T) {
	p := sharedTSV(t)
	if p == "" {
		t.Skip("shared/reply-codes.tsv not found beside the module")
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "code\t") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 3 {
			t.Errorf("bad line %q", line)
			continue
		}
		code, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Errorf("bad code in %q", line)
			continue
		}
		seen[code] = true
		e, ok := Lookup(code)
		if !ok {
			t.Errorf("code %d of %s is missing from the catalogue", code, p)
			continue
		}
		if e.Class != cols[1] {
			t.Errorf("code %d: class %q, the TSV says %q", code, e.Class, cols[1])
		}
		if e.Meaning != cols[2] {
			t.Errorf("code %d: meaning %q, the TSV says %q", code, e.Meaning, cols[2])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range All() {
		if !seen[e.Code] {
			t.Errorf("code %d is in the catalogue but not in %s", e.Code, p)
		}
	}
}
