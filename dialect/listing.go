package dialect

import (
	"fmt"
	"hash/fnv"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Entry is one directory entry as a listing shows it.
type Entry struct {
	Name    string
	Size    int64
	Mode    fs.FileMode // type bits and permissions
	ModTime time.Time
	// Links is the link count; 0 shows 1 for a file and 2 for a directory.
	Links int
	// Owner and Group are the names LIST shows; empty: the dialect's
	// default (Listing.Owner and Listing.Group).
	Owner, Group string
	// UID and GID are the numeric ids MLSD facts show.
	UID, GID int
	// Target is where a symbolic link points.
	Target string
}

// EntryOf makes the entry of a file's information: directories get
// 4096 as their size, as on ext4.
func EntryOf(fi fs.FileInfo) Entry {
	e := Entry{Name: fi.Name(), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}
	if fi.IsDir() {
		e.Size = 4096
	}
	return e
}

func (e Entry) links() int {
	switch {
	case e.Links > 0:
		return e.Links
	case e.Mode.IsDir():
		return 2
	}
	return 1
}

func (e Entry) hidden() bool { return strings.HasPrefix(e.Name, ".") }

// Format says how LIST writes an entry, and what its owner and group are
// when the entry names none.
type Format struct {
	// Line writes one entry of LIST (and of STAT with a path), without
	// its line end.
	Line func(f *Format, e Entry, now time.Time) string
	// Aligned writes the whole listing instead, when its columns depend
	// on every entry (ls -l aligns them to the widest value).
	Aligned func(f *Format, es []Entry, now time.Time) []string
	// Owner and Group are shown for entries without their own; with
	// Fixed, for every entry (servers without Unix owners).
	Owner, Group string
	Fixed        bool
	// Perms, when set, writes the permissions column instead of the
	// entry's mode (servers without Unix permissions).
	Perms func(e Entry) string
}

func (f *Format) owner(e Entry) (string, string) {
	o, g := e.Owner, e.Group
	if f.Fixed || o == "" {
		o = f.Owner
	}
	if f.Fixed || g == "" {
		g = f.Group
	}
	return o, g
}

// Listing is how a dialect writes directory entries. Entries are sent
// sorted by name (byte order), as vsftpd does for every listing and
// ProFTPD and pure-ftpd for LIST; those two send NLST and MLSD in the
// directory's own order, which mockftpd cannot know.
type Listing struct {
	Format Format
	// Total starts LIST with "total N" (N: the 1 KiB blocks the entries
	// take on a 4 KiB-block filesystem), as ls -l does.
	Total bool
	// ShowHidden lists names starting with "." without -a; otherwise
	// they need LIST -a.
	ShowHidden bool
	// DotDirs puts "." and ".." first in LIST -a; DotDirsAlways in
	// every LIST.
	DotDirs, DotDirsAlways bool
	// NLSTAll makes NLST list hidden names and "." and ".." too.
	NLSTAll bool
	// Facts are the MLSD and MLST facts in the order the server sends
	// them; none: the server has no MLSD.
	Facts []Fact
	// MLSDDotDirs adds "." (type=cdir) and ".." (type=pdir) to MLSD.
	MLSDDotDirs bool
	// MLSTFullPath: MLST names the entry by its absolute path.
	MLSTFullPath bool
	// StatAll: STAT of a directory lists it as LIST -a does (with "."
	// and ".."); otherwise as LIST. StatIndent starts each of its lines.
	StatAll    bool
	StatIndent string
}

// Fact is one MLSD/MLST fact: its name as the server writes it, and its
// value for an entry ("" leaves the fact out for that entry).
type Fact struct {
	Name  string
	Value func(e Entry, kind string, o *ListOptions) string
}

// ListOptions are the options of one LIST or NLST.
type ListOptions struct {
	All bool // -a
	// User and Group are the session's user and its group, which some
	// servers show in MLSD facts.
	User, Group string
	// Dot and DotDot are the listed directory and its parent, for LIST -a
	// and MLSD ("." and ".."); zero entries are left out.
	Dot, DotDot Entry
}

// LIST returns the bytes of a LIST of entries at now.
func (d *Dialect) LIST(entries []Entry, now time.Time, o ListOptions) []byte {
	l := &d.Listing
	shown := l.select_(entries, o.All || l.ShowHidden)
	if (o.All && l.DotDirs) || l.DotDirsAlways {
		shown = append(dots(o), shown...)
	}
	var b strings.Builder
	if l.Total {
		fmt.Fprintf(&b, "total %d\r\n", totalBlocks(shown))
	}
	for _, line := range l.Format.lines(shown, now) {
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

func (f *Format) lines(es []Entry, now time.Time) []string {
	if f.Aligned != nil {
		return f.Aligned(f, es, now)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = f.Line(f, e, now)
	}
	return out
}

// NLST returns the bytes of an NLST of entries.
func (d *Dialect) NLST(entries []Entry, o ListOptions) []byte {
	l := &d.Listing
	shown := l.select_(entries, o.All || l.NLSTAll || l.ShowHidden)
	if l.NLSTAll {
		shown = append(dots(o), shown...)
		sortEntries(shown)
	}
	var b strings.Builder
	for _, e := range shown {
		b.WriteString(e.Name)
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// MLSD returns the bytes of an MLSD of entries (hidden ones included),
// or nil when the dialect has no MLSD.
func (d *Dialect) MLSD(entries []Entry, o ListOptions) []byte {
	l := &d.Listing
	if len(l.Facts) == 0 {
		return nil
	}
	var b strings.Builder
	all := l.select_(entries, true)
	if l.MLSDDotDirs {
		if o.Dot.Name != "" {
			b.WriteString(l.factLine(o.Dot, "cdir", ".", &o))
		}
		if o.DotDot.Name != "" {
			b.WriteString(l.factLine(o.DotDot, "pdir", "..", &o))
		}
	}
	for _, e := range all {
		b.WriteString(l.factLine(e, kindOf(e), e.Name, &o))
	}
	return []byte(b.String())
}

// MLST returns the fact line of MLST (without the leading space the
// reply puts before it), naming the entry by name.
func (d *Dialect) MLST(e Entry, name string, o ListOptions) string {
	l := &d.Listing
	return strings.TrimSuffix(l.factLine(e, kindOf(e), name, &o), "\r\n")
}

// STAT returns the lines of STAT with a path: the entry of a file, or
// the entries of a directory (dir is the directory itself, parent its
// parent), each starting with the dialect's StatIndent.
func (d *Dialect) STAT(entries []Entry, now time.Time, o ListOptions) []string {
	l := &d.Listing
	o.All = o.All || l.StatAll
	lines := strings.Split(strings.TrimSuffix(string(d.LIST(entries, now, o)), "\r\n"), "\r\n")
	for i := range lines {
		lines[i] = l.StatIndent + lines[i]
	}
	return lines
}

func (l *Listing) factLine(e Entry, kind, name string, o *ListOptions) string {
	var b strings.Builder
	for _, f := range l.Facts {
		v := f.Value(e, kind, o)
		if v == "" {
			continue
		}
		b.WriteString(f.Name)
		b.WriteByte('=')
		if v != emptyFact {
			b.WriteString(v)
		}
		b.WriteByte(';')
	}
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString("\r\n")
	return b.String()
}

// kindOf is an entry's MLSx type: file, dir, or a link.
func kindOf(e Entry) string {
	switch {
	case e.Mode.IsDir():
		return "dir"
	case e.Mode&fs.ModeSymlink != 0:
		return "link"
	}
	return "file"
}

func (l *Listing) select_(entries []Entry, hidden bool) []Entry {
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		if e.Name == "." || e.Name == ".." || (!hidden && e.hidden()) {
			continue
		}
		out = append(out, e)
	}
	sortEntries(out)
	return out
}

func sortEntries(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Name < es[j].Name })
}

func dots(o ListOptions) []Entry {
	var out []Entry
	if o.Dot.Name != "" {
		dot := o.Dot
		dot.Name = "."
		out = append(out, dot)
	}
	if o.DotDot.Name != "" {
		dd := o.DotDot
		dd.Name = ".."
		out = append(out, dd)
	}
	return out
}

func totalBlocks(es []Entry) int64 {
	var n int64
	for _, e := range es {
		if e.Mode&fs.ModeSymlink != 0 {
			continue
		}
		n += (e.Size + 4095) / 4096 * 4
	}
	return n
}

// perms is the "-rw-r--r--" column of ls -l.
func perms(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	if m&fs.ModeSetuid != 0 {
		b[3] = sx(b[3], 's')
	}
	if m&fs.ModeSetgid != 0 {
		b[6] = sx(b[6], 's')
	}
	if m&fs.ModeSticky != 0 {
		b[9] = sx(b[9], 't')
	}
	return string(b)
}

func sx(c, lower byte) byte {
	if c == 'x' {
		return lower
	}
	return lower - 'a' + 'A'
}

// recentFunc says whether a time is shown with its hour (recent) rather
// than its year.
type recentFunc func(t, now time.Time) bool

// withinDays: less than n days old, and (with noFuture) not in the future.
func withinDays(n int, noFuture bool) recentFunc {
	return func(t, now time.Time) bool {
		age := now.Sub(t)
		if noFuture && age < 0 {
			return false
		}
		return age <= time.Duration(n)*24*time.Hour
	}
}

// unixLine is an ls -l line: perms, links, owner, group, size, date, name.
type unixLine struct {
	links         string // the link count's format, e.g. "%4d"
	owner, group  string // e.g. "%-8s"
	size          string // e.g. "%8d"
	bigSize       string // for sizes of 10^10 or more (pure-ftpd), or ""
	day           string // "02" (zero-padded) or "_2" (space-padded)
	recent        recentFunc
	truncateNames int // owner and group cut to this many bytes (0: never)
}

func (u unixLine) line(f *Format, e Entry, now time.Time) string {
	o, g := f.owner(e)
	if n := u.truncateNames; n > 0 {
		o, g = cut(o, n), cut(g, n)
	}
	size := u.size
	if u.bigSize != "" && e.Size >= 1e10 {
		size = u.bigSize
	}
	t := e.ModTime.UTC()
	date := t.Format("Jan " + u.day)
	if u.recent(e.ModTime, now) {
		date += " " + t.Format("15:04")
	} else {
		date += " " + fmt.Sprintf("%5d", t.Year())
	}
	name := e.Name
	if e.Target != "" && e.Mode&fs.ModeSymlink != 0 {
		name += " -> " + e.Target
	}
	p := perms(e.Mode)
	if f.Perms != nil {
		p = f.Perms(e)
	}
	return p + " " + fmt.Sprintf(u.links, e.links()) + " " + fmt.Sprintf(u.owner, o) + " " +
		fmt.Sprintf(u.group, g) + " " + fmt.Sprintf(size, e.Size) + " " + date + " " + name
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// unixFormat is a Format of ls -l lines.
func unixFormat(u unixLine, owner, group string, fixed bool) Format {
	if u.day == "" {
		u.day = "02"
	}
	return Format{Line: func(f *Format, e Entry, now time.Time) string { return u.line(f, e, now) }, Owner: owner, Group: group, Fixed: fixed}
}

// lsFormat is GNU ls -l, as wu-ftpd runs it (/bin/ls -lgA): every
// column as wide as its widest value.
func lsFormat(owner, group string) Format {
	return Format{Owner: owner, Group: group, Aligned: func(f *Format, es []Entry, now time.Time) []string {
		var wl, wo, wg, ws int
		for _, e := range es {
			o, g := f.owner(e)
			wl = max(wl, len(strconv.Itoa(e.links())))
			wo, wg = max(wo, len(o)), max(wg, len(g))
			ws = max(ws, len(strconv.FormatInt(e.Size, 10)))
		}
		u := unixLine{links: "%" + strconv.Itoa(wl) + "d", owner: "%-" + strconv.Itoa(wo) + "s", group: "%-" + strconv.Itoa(wg) + "s",
			size: "%" + strconv.Itoa(ws) + "d", day: "_2", recent: withinDays(182, true)}
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = u.line(f, e, now)
		}
		return out
	}}
}

// dosFormat is the MS-DOS "dir" format of IIS:
// "03-04-23  05:06AM       <DIR>          sub".
func dosFormat() Format {
	return Format{Line: func(_ *Format, e Entry, _ time.Time) string {
		t := e.ModTime.UTC()
		date := t.Format("01-02-06  03:04PM")
		if e.Mode.IsDir() {
			return date + "       <DIR>          " + e.Name
		}
		return date + " " + fmt.Sprintf("%20d", e.Size) + " " + e.Name
	}}
}

// Facts.

// emptyFact is a fact's value when the server sends the fact with
// nothing after "=".
const emptyFact = "\x00"

func factType(_ Entry, kind string, _ *ListOptions) string {
	if kind == "link" {
		return "OS.unix=symlink"
	}
	return kind
}

func factSize(e Entry, kind string, _ *ListOptions) string {
	if kind == "dir" || kind == "cdir" || kind == "pdir" {
		return ""
	}
	return strconv.FormatInt(e.Size, 10)
}

func factModify(e Entry, _ string, _ *ListOptions) string {
	return e.ModTime.UTC().Format("20060102150405")
}

func factMode(e Entry, _ string, _ *ListOptions) string { return fmt.Sprintf("0%o", e.Mode.Perm()) }

func factUID(e Entry, _ string, _ *ListOptions) string { return strconv.Itoa(e.UID) }

func factGID(e Entry, _ string, _ *ListOptions) string { return strconv.Itoa(e.GID) }

// unique is a stable per-name identifier, as servers derive theirs from
// the device and inode.
func unique(e Entry) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(e.Name))
	return h.Sum64()
}
