package dialect_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/dialect"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/dialects.md from the dialects")

const (
	docsFile   = "../docs/dialects.md"
	beginMark  = "<!-- BEGIN GENERATED: go test ./dialect -run TestDocs -update -->"
	endMark    = "<!-- END GENERATED -->"
	notMockftp = "—"
)

// docsTable is docs/dialects.md's generated part: every dialect's
// aspects side by side, then each dialect's sources.
func docsTable() string {
	all := dialect.All()
	var b strings.Builder
	b.WriteString("| | ")
	for _, d := range all {
		fmt.Fprintf(&b, "`%s` | ", d.Name)
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(all)))
	b.WriteString("\n| product | ")
	for _, d := range all {
		b.WriteString(cell(d.Product) + " | ")
	}
	b.WriteString("\n")
	aspects := make([][]dialect.Aspect, len(all))
	for i, d := range all {
		aspects[i] = d.Aspects()
	}
	for row := range aspects[0] {
		fmt.Fprintf(&b, "| %s | ", cell(aspects[0][row].Name))
		for i, d := range all {
			v := aspects[i][row].Value
			if v == "" {
				v = notMockftp
			}
			c := cell(v)
			if unverified(d, aspects[i][row].Name) {
				c += " †"
			}
			b.WriteString(c + " | ")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n" + notMockftp + ": mockftpd answers as itself. †: written from the product's known wording; no cited source shows it.\n")
	for _, d := range all {
		fmt.Fprintf(&b, "\n### `%s`: %s\n\n%s.\n\n", d.Name, d.Product, upperFirst(d.Summary))
		for _, s := range d.Sources {
			fmt.Fprintf(&b, "- %s: %s\n", upperFirst(s.What), s.Where)
		}
	}
	return b.String()
}

// unverified reports whether the aspect named name shows one of d's
// Unverified replies.
func unverified(d *dialect.Dialect, name string) bool {
	for _, k := range d.Unverified {
		if dialect.AspectKey(name) == k {
			return true
		}
	}
	return false
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "  ", "&nbsp; ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func TestDocs(t *testing.T) {
	data, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", docsFile, beginMark, endMark)
	}
	fresh := doc[:i+len(beginMark)] + "\n\n" + docsTable() + "\n" + doc[j:]
	if fresh == doc {
		return
	}
	if *update {
		if err := os.WriteFile(docsFile, []byte(fresh), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is stale: run go test ./dialect -run TestDocs -update", docsFile)
}
