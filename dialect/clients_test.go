package dialect_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/ftpstub"
	"github.com/mockftpd/mockftpd/internal/realclient"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/internal/testtool"
	"github.com/mockftpd/mockftpd/server"
)

// Every dialect's listings, served as the dialect writes them (by a stub
// sending the dialect's bytes, and by mockftpd with the dialect, through
// its data path), must be read right by the clients people use: jlaffaye/ftp (LIST, MLSD, NLST),
// lftp (LIST and MLSD) and libcurl's listing parser (its wildcard
// downloads: LIST only, it has no MLSD parser). Where a client cannot
// read what a real server sends, the test says so (clientLimits) and the
// limit is in docs/dialects.md: that is what a dialect is for.

// parsed is an entry as a client read it.
type parsed struct {
	Name string
	Dir  bool
	Size int64  // -1: not compared (directories)
	Time string // "2006-01-02 15:04", or "2006-01-02" when the listing gives no time
}

func (p parsed) String() string {
	kind := "file"
	if p.Dir {
		kind = "dir"
	}
	return fmt.Sprintf("%s %s size=%d %s", p.Name, kind, p.Size, p.Time)
}

// clientEntries is the folder every client lists: a file, a name with
// spaces, a recent file, a file past 4 GiB, a folder, a hidden file.
func clientEntries(now time.Time) []dialect.Entry {
	recent := now.Add(-2 * time.Hour).Truncate(time.Minute)
	if recent.Year() != now.Year() { // a listing without years would be read as this year
		recent = now.Truncate(time.Minute)
	}
	old := time.Date(2023, 3, 4, 5, 6, 7, 0, time.UTC)
	return []dialect.Entry{
		{Name: "a.txt", Size: 6, Mode: 0o644, ModTime: old},
		{Name: "with space.txt", Size: 7, Mode: 0o644, ModTime: old},
		{Name: "recent.txt", Size: 7, Mode: 0o644, ModTime: recent},
		{Name: "big.bin", Size: 5 << 30, Mode: 0o644, ModTime: old},
		{Name: "sub", Size: 4096, Mode: fs.ModeDir | 0o755, ModTime: old},
		{Name: ".hidden", Size: 2, Mode: 0o644, ModTime: old},
	}
}

// want is what a client must read from a listing of es: LIST gives
// minutes for recent entries and days for old ones; MLSD seconds.
func want(d *dialect.Dialect, es []dialect.Entry, now time.Time, mlsd bool) []parsed {
	var out []parsed
	for _, e := range es {
		if strings.HasPrefix(e.Name, ".") && !mlsd && !d.Listing.ShowHidden {
			continue
		}
		p := parsed{Name: e.Name, Dir: e.Mode.IsDir(), Size: e.Size}
		if p.Dir {
			p.Size = -1
		}
		t := e.ModTime.UTC()
		switch {
		case mlsd:
			p.Time = t.Format("2006-01-02 15:04")
		case d.Listing.Format.Line != nil && isDOS(d):
			p.Time = t.Format("2006-01-02 15:04")
		case now.Sub(t) < 150*24*time.Hour:
			p.Time = t.Format("2006-01-02 15:04")
		default:
			p.Time = t.Format("2006-01-02")
		}
		out = append(out, p)
	}
	sortParsed(out)
	return out
}

func isDOS(d *dialect.Dialect) bool { return d.Name == "iis" }

func sortParsed(ps []parsed) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
}

// clientLimits are what a client cannot read in a dialect's listing, as
// the real server sends it: "client/dialect/verb" and why.
var clientLimits = map[string]string{}

func site(d *dialect.Dialect, es []dialect.Entry, now time.Time) ftpstub.Site {
	o := dialect.ListOptions{User: "bob", Group: "bob",
		Dot:    dialect.Entry{Name: ".", Mode: fs.ModeDir | 0o755, Size: 4096, ModTime: now},
		DotDot: dialect.Entry{Name: "..", Mode: fs.ModeDir | 0o755, Size: 4096, ModTime: now}}
	all := o
	all.All = true
	s := ftpstub.Site{
		Greeting: d.Greeting.Expand(dialect.Vars{"server": "127.0.0.1", "users": "1", "time": "12:00", "port": "21"}).Expand(d.Defaults).Lines(),
		Syst:     "UNIX Type: L8",
		Dir:      "/pub",
		LIST:     d.LIST(es, now, o),
		ListAll:  d.LIST(es, now, all),
		NLST:     d.NLST(es, o),
		MLSD:     d.MLSD(es, o),
		Root:     d.LIST([]dialect.Entry{{Name: "pub", Mode: fs.ModeDir | 0o755, Size: 4096, ModTime: now}}, now, o),
	}
	if r, ok := d.Reply("SYST", dialect.OK, nil); ok {
		s.Syst = r.Text()
	}
	if d.Feat.Header != "" {
		s.Feat = d.Feat.Lines(d.Feat.List(false))
	}
	return s
}

func withoutDots(ps []parsed) []parsed {
	out := ps[:0:0]
	for _, p := range ps {
		if p.Name != "." && p.Name != ".." {
			out = append(out, p)
		}
	}
	sortParsed(out)
	return out
}

func compareParsed(t *testing.T, client, dialectName, verb string, got, exp []parsed) {
	t.Helper()
	g, w := fmt.Sprint(withoutDots(got)), fmt.Sprint(exp)
	key := client + "/" + dialectName + "/" + verb
	if why, limited := clientLimits[key]; limited {
		if g == w {
			t.Errorf("%s: the client now reads it right; remove it from clientLimits (%s)", key, why)
		} else {
			t.Logf("%s: known client limit: %s\n got %s", key, why, g)
		}
		return
	}
	if g != w {
		t.Errorf("%s read %s of %s as\n %s\nwant\n %s", client, verb, dialectName, g, w)
	}
}

// listingServer serves a dialect's listings of /pub: a stub sending the
// dialect's bytes (the dialect's format alone), or mockftpd with the
// dialect (the engine's listing path: the bytes a user's client gets).
type listingServer struct {
	Addr     string
	Commands func() []string
}

// servers are the two ways a dialect's listings are served.
var servers = []string{"stub", "mockftpd"}

func serveListing(t *testing.T, via string, d *dialect.Dialect, es []dialect.Entry, now time.Time) listingServer {
	if via == "stub" {
		srv := ftpstub.Start(t, site(d, es, now))
		return listingServer{Addr: srv.Addr, Commands: srv.Commands}
	}
	srv := ftptest.New(t, ftptest.WithConfig(func(c *server.Config) { c.Dialect = d.Name }))
	fsys := srv.Fs()
	if err := fsys.MkdirAll("/pub", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		p := "/pub/" + e.Name
		if e.Mode.IsDir() {
			if err := fsys.MkdirAll(p, e.Mode.Perm()); err != nil {
				t.Fatal(err)
			}
		} else {
			f, err := fsys.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(e.Size); err != nil { // memfs keeps big.bin sparse
				t.Fatal(err)
			}
			_ = f.Close()
		}
		if err := fsys.Chmod(p, e.Mode.Perm()); err != nil {
			t.Fatal(err)
		}
		if err := fsys.Chtimes(p, e.ModTime, e.ModTime); err != nil {
			t.Fatal(err)
		}
	}
	return listingServer{Addr: srv.Addr(), Commands: func() []string {
		var out []string
		for _, e := range srv.Journal() {
			out = append(out, strings.TrimSpace(e.Command+" "+e.Arg))
		}
		return out
	}}
}

// eachListing runs read, in parallel per dialect and server (the stub,
// mockftpd), for each of the dialect's listing commands (LIST, and MLSD
// where it has one).
func eachListing(t *testing.T, read func(t *testing.T, d *dialect.Dialect, srv listingServer, es []dialect.Entry, now time.Time, mlsd bool)) {
	now := time.Now().UTC()
	es := clientEntries(now)
	for _, d := range dialect.All() {
		for _, via := range servers {
			t.Run(d.Name+"/"+via, func(t *testing.T) {
				t.Parallel()
				srv := serveListing(t, via, d, es, now)
				read(t, d, srv, es, now, false)
				if d.Listing.Facts != nil {
					read(t, d, srv, es, now, true)
				}
			})
		}
	}
}

func verbOf(mlsd bool) string { return map[bool]string{false: "LIST", true: "MLSD"}[mlsd] }

func TestDialectListingsParseInJlaffaye(t *testing.T) {
	eachListing(t, func(t *testing.T, d *dialect.Dialect, srv listingServer, es []dialect.Entry, now time.Time, mlsd bool) {
		opts := []ftp.DialOption{ftp.DialWithLocation(time.UTC)}
		if !mlsd {
			opts = append(opts, ftp.DialWithDisabledMLSD(true))
		}
		verb := verbOf(mlsd)
		c := testclient.Login(t, srv.Addr, "bob", "secret", opts...)
		got, err := c.List("/pub")
		if err != nil {
			t.Fatalf("%s: %v\ncommands: %q", verb, err, srv.Commands())
		}
		var ps []parsed
		for _, e := range got {
			p := parsed{Name: e.Name, Dir: e.Type == ftp.EntryTypeFolder, Size: int64(e.Size)}
			if p.Dir {
				p.Size = -1
			}
			p.Time = e.Time.UTC().Format("2006-01-02 15:04")
			if !mlsd && !isDOS(d) && e.Time.UTC().Hour() == 0 && e.Time.UTC().Minute() == 0 && now.Sub(e.Time) >= 150*24*time.Hour {
				p.Time = e.Time.UTC().Format("2006-01-02")
			}
			ps = append(ps, p)
		}
		compareParsed(t, "jlaffaye", d.Name, verb, ps, want(d, es, now, mlsd))
		names, err := c.NameList("/pub")
		if err != nil {
			t.Fatalf("NLST: %v", err)
		}
		wantNames := strings.Split(strings.TrimSuffix(string(d.NLST(es, dialect.ListOptions{Dot: es[0], DotDot: es[0]})), "\r\n"), "\r\n")
		if fmt.Sprint(names) != fmt.Sprint(wantNames) {
			t.Errorf("NLST read as %q, want %q", names, wantNames)
		}
		_ = c.Quit()
	})
}

func TestDialectListingsParseInLFTP(t *testing.T) {
	realclient.Require(t, realclient.LFTP)
	eachListing(t, func(t *testing.T, d *dialect.Dialect, srv listingServer, es []dialect.Entry, now time.Time, mlsd bool) {
		verb := verbOf(mlsd)
		s := realclient.Session{Addr: srv.Addr, User: "bob", Password: "secret"}
		r := s.LFTP(t,
			"set ftp:use-mlsd "+map[bool]string{false: "off", true: "on"}[mlsd],
			"set ftp:timezone UTC",
			"set ftp:use-mdtm off", // the listing's own times, not MDTM's (mockftpd answers MDTM)
			"cls -1 -a -B -F -s --block-size=1 --filesize --date --time-style=%Y-%m-%dT%H:%M:%S /pub/")
		if r.Exit != 0 {
			t.Fatalf("lftp %s: %s\nstdout: %s\ncommands: %q", verb, r.Observed(), r.Stdout, srv.Commands())
		}
		compareParsed(t, "lftp", d.Name, verb, parseCls(t, r.Stdout, mlsd, isDOS(d)), want(d, es, now, mlsd))
	})
}

// parseCls reads lftp's "cls -1 -F -s --filesize --date" lines:
// "SIZE DATE NAME" for a file, "DATE NAME/" for a folder. lftp shows a
// listing's missing time as 12:00:00.
func parseCls(t *testing.T, out string, mlsd, dos bool) []parsed {
	var ps []parsed
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		p := parsed{Size: -1}
		if _, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) >= 3 && strings.Contains(f[1], "T") {
			p.Size, _ = strconv.ParseInt(f[0], 10, 64)
			f = f[1:]
		}
		ts, err := time.Parse("2006-01-02T15:04:05", f[0])
		if err != nil {
			t.Errorf("lftp line %q: %v", l, err)
			continue
		}
		name := strings.TrimSpace(l[strings.Index(l, f[0])+len(f[0]):])
		p.Dir = strings.HasSuffix(name, "/")
		p.Name = strings.TrimSuffix(name, "/")
		p.Time = ts.Format("2006-01-02 15:04")
		if !mlsd && !dos && ts.Hour() == 12 && ts.Minute() == 0 && ts.Second() == 0 {
			p.Time = ts.Format("2006-01-02")
		}
		ps = append(ps, p)
	}
	return ps
}

// curlWildcard lists a folder with libcurl's wildcard matching, whose
// listing parser reads LIST: it prints each entry as libcurl parsed it.
const curlWildcard = `
import ctypes, ctypes.util, json, sys
lib = ctypes.CDLL(ctypes.util.find_library("curl") or "libcurl.so.4")
class Strings(ctypes.Structure):
    _fields_ = [("time", ctypes.c_char_p), ("perm", ctypes.c_char_p), ("user", ctypes.c_char_p), ("group", ctypes.c_char_p), ("target", ctypes.c_char_p)]
class FileInfo(ctypes.Structure):
    _fields_ = [("filename", ctypes.c_char_p), ("filetype", ctypes.c_int), ("time", ctypes.c_long), ("perm", ctypes.c_uint),
                ("uid", ctypes.c_int), ("gid", ctypes.c_int), ("size", ctypes.c_longlong), ("hardlinks", ctypes.c_long),
                ("strings", Strings), ("flags", ctypes.c_uint), ("b_data", ctypes.c_char_p), ("b_size", ctypes.c_size_t), ("b_used", ctypes.c_size_t)]
BGN = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
def bgn(info, ptr, remains):
    fi = ctypes.cast(info, ctypes.POINTER(FileInfo)).contents
    print(json.dumps({"name": fi.filename.decode(), "type": fi.filetype, "size": fi.size,
                      "time": (fi.strings.time or b"").decode()}), flush=True)
    return 2  # CURL_CHUNK_BGN_FUNC_SKIP: no download
cb = BGN(bgn)
WRITE = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p)
wcb = WRITE(lambda p, s, n, u: s * n)
lib.curl_easy_init.restype = ctypes.c_void_p
h = ctypes.c_void_p(lib.curl_easy_init())
lib.curl_easy_setopt(h, 10002, sys.argv[1].encode())       # CURLOPT_URL
lib.curl_easy_setopt(h, 10005, b"bob:secret")              # CURLOPT_USERPWD
lib.curl_easy_setopt(h, 197, ctypes.c_long(1))              # CURLOPT_WILDCARDMATCH
lib.curl_easy_setopt(h, 20198, cb)                          # CURLOPT_CHUNK_BGN_FUNCTION
lib.curl_easy_setopt(h, 20011, wcb)                         # CURLOPT_WRITEFUNCTION
lib.curl_easy_setopt(h, 13, ctypes.c_long(20))              # CURLOPT_TIMEOUT
rc = lib.curl_easy_perform(h)
sys.exit(rc)
`

func TestDialectListingsParseInCurl(t *testing.T) {
	python := testtool.Need(t, "python3", "apt-get install -y python3")
	if _, err := exec.Command(python, "-c", "import ctypes, ctypes.util; ctypes.CDLL(ctypes.util.find_library('curl') or 'libcurl.so.4')").CombinedOutput(); err != nil {
		testtool.Unavailable(t, "libcurl", "apt-get install -y curl")
	}
	script := filepath.Join(t.TempDir(), "curl_wildcard.py")
	if err := os.WriteFile(script, []byte(curlWildcard), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	es := clientEntries(now)
	for _, d := range dialect.All() {
		for _, via := range servers {
			t.Run(d.Name+"/"+via, func(t *testing.T) {
				t.Parallel()
				srv := serveListing(t, via, d, es, now)
				cmd := exec.Command(python, script, "ftp://"+srv.Addr+"/pub/*")
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("libcurl wildcard listing: %v\n%s\ncommands: %q", err, out, srv.Commands())
				}
				var ps []parsed
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					if l == "" {
						continue
					}
					var e struct {
						Name, Time string
						Type       int
						Size       int64
					}
					if err := json.Unmarshal([]byte(l), &e); err != nil {
						t.Fatalf("%q: %v", l, err)
					}
					p := parsed{Name: e.Name, Dir: e.Type == 1, Size: e.Size}
					if p.Dir {
						p.Size = -1
					}
					p.Time = e.Time // libcurl keeps the listing's own text
					ps = append(ps, p)
				}
				// libcurl does not read times: compare names, kinds and sizes
				exp := want(d, es, now, false)
				for i := range exp {
					exp[i].Time = ""
				}
				for i := range ps {
					if ps[i].Time == "" {
						t.Errorf("libcurl read no time for %s", ps[i].Name)
					}
					ps[i].Time = ""
				}
				compareParsed(t, "curl", d.Name, "LIST", ps, exp)
			})
		}
	}
}
