package record

import (
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// node is what the recording learned about one path of the tree as it was
// before the clients changed it.
type node struct {
	dir     bool
	size    int64 // -1: unknown
	content []byte
	known   bool // content holds the whole file
	modTime time.Time
}

// tree rebuilds the served tree from what the clients saw: listings,
// downloads, SIZE, MDTM, and the commands that needed a path to exist.
// What the clients created or changed themselves is left out: a replay
// creates it again.
type tree struct {
	nodes   map[string]*node
	touched map[string]bool // paths the clients changed (with everything below them)
	maxFile int64
}

func (c *converter) files() []scenario.File {
	t := &tree{nodes: map[string]*node{}, touched: map[string]bool{}, maxFile: c.opts.MaxFileBytes}
	rest := map[*Session]int64{} // the REST offset a session set
	rnfr := map[*Session]string{}
	for _, o := range c.occs {
		ex := o.ex
		final, ok := ex.Final()
		if !ok || final.Code >= 400 {
			continue
		}
		offset := rest[o.sess]
		delete(rest, o.sess)
		t.observe(ex, final, offset)
		p, _ := target(ex)
		switch ex.Verb {
		case "REST":
			if n, err := strconv.ParseInt(strings.TrimSpace(ex.Arg), 10, 64); err == nil {
				rest[o.sess] = n
			}
		case "STOR", "APPE", "DELE", "RMD", "XRMD", "MKD", "XMKD":
			t.touched[p] = true
		case "STOU":
			t.touched[Resolve(ex.Cwd, quotedOrLast(final))] = true
		case "RNFR":
			rnfr[o.sess] = p
		case "RNTO":
			t.touched[p] = true
			if from, ok := rnfr[o.sess]; ok {
				t.touched[from] = true
			}
		}
		if ex.Verb != "RNFR" {
			delete(rnfr, o.sess)
		}
	}
	return t.entries()
}

// quotedOrLast guesses the file name a STOU reply names.
func quotedOrLast(r Reply) string {
	text := r.Text()
	if p, ok := quotedPath(text); ok {
		return p
	}
	f := strings.Fields(text)
	if len(f) == 0 {
		return ""
	}
	return strings.TrimSuffix(f[len(f)-1], ".")
}

// isTouched reports whether p, or a folder above it, was changed by a client.
func (t *tree) isTouched(p string) bool {
	for {
		if t.touched[p] {
			return true
		}
		if p == "/" || p == "." || p == "" {
			return false
		}
		p = path.Dir(p)
	}
}

// note records what was seen of p, unless a client changed p first.
func (t *tree) note(p string, dir bool) *node {
	if t.isTouched(p) {
		return nil
	}
	n := t.nodes[p]
	if n == nil {
		n = &node{size: -1}
		t.nodes[p] = n
	}
	n.dir = n.dir || dir
	return n
}

// observe learns from one successful command.
func (t *tree) observe(ex *Exchange, final Reply, offset int64) {
	p, _ := target(ex)
	switch ex.Verb {
	case "LIST", "NLST", "MLSD":
		if ex.Transfer == nil || !ex.Transfer.Complete() {
			return
		}
		entries := parseListing(ex.Verb, ex.Transfer.Data)
		if len(entries) == 1 && !entries[0].dir && path.Base(entries[0].name) == path.Base(p) && ex.Verb == "LIST" {
			// LIST of a file lists the file itself
			if n := t.note(p, false); n != nil && entries[0].size >= 0 {
				n.size = entries[0].size
			}
			return
		}
		t.note(p, true)
		for _, e := range entries {
			ep := Resolve(p, e.name)
			if ex.Verb == "NLST" && strings.Contains(e.name, "/") {
				ep = Resolve(ex.Cwd, e.name) // NLST of a path may give paths relative to the cwd
			}
			n := t.note(ep, e.dir)
			if n == nil {
				continue
			}
			if !e.dir && e.size >= 0 {
				n.size = e.size
			}
			if !e.modTime.IsZero() {
				n.modTime = e.modTime
			}
		}
	case "MLST":
		for _, l := range final.Lines()[1:] {
			if e, ok := parseFacts(l); ok {
				if n := t.note(p, e.dir); n != nil {
					if !e.dir && e.size >= 0 {
						n.size = e.size
					}
					if !e.modTime.IsZero() {
						n.modTime = e.modTime
					}
				}
			}
		}
	case "RETR":
		tr := ex.Transfer
		if tr == nil || tr.Err != "" {
			return
		}
		n := t.note(p, false)
		if n == nil {
			return
		}
		if offset == 0 {
			n.size = tr.Size
			if tr.Complete() && tr.Size <= t.maxFile {
				n.content, n.known = append([]byte{}, tr.Data...), true
			}
		} else if n.size < 0 {
			n.size = offset + tr.Size
		}
	case "SIZE":
		if final.Code == 213 {
			if size, err := strconv.ParseInt(strings.TrimSpace(final.Text()), 10, 64); err == nil {
				if n := t.note(p, false); n != nil && !n.dir {
					n.size = size
				}
			}
		}
	case "MDTM":
		if final.Code == 213 {
			if mt, ok := parseMDTM(final.Text()); ok {
				if n := t.note(p, false); n != nil {
					n.modTime = mt
				}
			}
		}
	case "CWD", "XCWD", "RMD", "XRMD":
		t.note(p, true)
	case "DELE", "RNFR":
		t.note(p, false)
	}
}

// entries lists the tree as scenario file entries: every file, and the
// folders that hold nothing (the others come with their files).
func (t *tree) entries() []scenario.File {
	paths := make([]string, 0, len(t.nodes))
	for p := range t.nodes {
		if p != "/" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	hasChild := map[string]bool{}
	for _, p := range paths {
		hasChild[path.Dir(p)] = true
	}
	var out []scenario.File
	for _, p := range paths {
		n := t.nodes[p]
		f := scenario.File{Path: p, ModTime: n.modTime.UTC()}
		if n.modTime.IsZero() {
			f.ModTime = time.Time{}
		}
		switch {
		case n.dir:
			if hasChild[p] {
				continue
			}
			f.Dir = true
		case n.known:
			fileContent(&f, n.content)
		case n.size > 0:
			f.Size = n.size
		}
		out = append(out, f)
	}
	return out
}
