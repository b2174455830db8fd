package dialect_test

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/dialect"
)

// What the captures of the real servers do not show: pure-ftpd's wider
// size column from 10^10 bytes and its owner names cut at 10 bytes,
// wu-ftpd's ls columns as wide as their widest value under a "total"
// line, IIS's 12-hour clock around midnight and noon.
func TestListingEdges(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	old := time.Date(2020, 1, 2, 0, 30, 0, 0, time.UTC)
	noon := time.Date(2024, 5, 30, 12, 5, 0, 0, time.UTC)
	es := []dialect.Entry{
		{Name: "huge.bin", Size: 12345678901, Mode: 0o644, ModTime: old, Owner: "averylongusername", Group: "staff"},
		{Name: "small", Size: 5, Mode: 0o600, ModTime: noon, Owner: "bob", Group: "staff", Links: 12},
		{Name: "dir", Size: 4096, Mode: fs.ModeDir | 0o755, ModTime: noon},
	}
	cases := map[string]string{
		"pure-ftpd": "-rw-r--r--    1 averylongu staff             12345678901 Jan  2  2020 huge.bin\r\n" +
			"-rw-------   12 bob        staff               5 May 30 12:05 small\r\n" +
			"drwxr-xr-x    2 1000       1000             4096 May 30 12:05 dir\r\n",
		"wu-ftpd": "total 12056336\r\n" +
			"drwxr-xr-x  2 ftp               ftp          4096 May 30 12:05 dir\r\n" +
			"-rw-r--r--  1 averylongusername staff 12345678901 Jan  2  2020 huge.bin\r\n" +
			"-rw------- 12 bob               staff           5 May 30 12:05 small\r\n",
		"iis": "05-30-24  12:05PM       <DIR>          dir\r\n" +
			"01-02-20  12:30AM          12345678901 huge.bin\r\n" +
			"05-30-24  12:05PM                    5 small\r\n",
	}
	for name, want := range cases {
		d, _ := dialect.Lookup(name)
		got := string(d.LIST(es, now, dialect.ListOptions{}))
		if name == "pure-ftpd" { // in the order given: the sorting is tested elsewhere
			got = strings.Join(sortAs(got, []string{"huge.bin", "small", "dir"}), "")
		}
		if got != want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
}

// sortAs orders a listing's lines as names are ordered.
func sortAs(listing string, names []string) []string {
	lines := strings.SplitAfter(listing, "\r\n")
	var out []string
	for _, n := range names {
		for _, l := range lines {
			if strings.HasSuffix(l, " "+n+"\r\n") {
				out = append(out, l)
			}
		}
	}
	return out
}
