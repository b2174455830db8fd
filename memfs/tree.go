package memfs

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// The directory tree: finding, linking and unlinking nodes, and the
// operations that change it (Mkdir, MkdirAll, Remove, RemoveAll, Rename).

// clean converts name to the canonical absolute slash-separated path.
func clean(name string) string {
	name = filepath.ToSlash(name)
	if name == "" || name[0] != '/' {
		name = "/" + name
	}
	return path.Clean(name)
}

// split returns the parent path and the base name of a clean path other
// than "/".
func split(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

// lookup resolves a clean path. Callers hold fs.mu.
func (fs *Fs) lookup(p string) (*node, error) {
	n := fs.root
	if p == "/" {
		return n, nil
	}
	rest := p[1:]
	for {
		if !n.isDir {
			return nil, syscall.ENOTDIR
		}
		comp := rest
		i := strings.IndexByte(rest, '/')
		if i >= 0 {
			comp = rest[:i]
		}
		c := n.children[comp]
		if c == nil {
			return nil, syscall.ENOENT
		}
		n = c
		if i < 0 {
			return n, nil
		}
		rest = rest[i+1:]
	}
}

// lookupParent resolves the directory holding the clean path p (not "/").
// Callers hold fs.mu.
func (fs *Fs) lookupParent(p string) (parent *node, base string, err error) {
	dir, base := split(p)
	parent, err = fs.lookup(dir)
	if err != nil {
		return nil, "", err
	}
	if !parent.isDir {
		return nil, "", syscall.ENOTDIR
	}
	return parent, base, nil
}

func (fs *Fs) attach(parent *node, name string, n *node) {
	n.name = name
	n.parent = parent
	parent.children[name] = n
	parent.touch()
}

func (fs *Fs) detach(n *node) {
	delete(n.parent.children, n.name)
	n.parent.touch()
	n.parent = nil
}

// unlink finishes removing regular file n after it has been detached from the
// tree. Callers must not hold fs.mu.
func (fs *Fs) unlink(n *node) {
	n.mu.Lock()
	if n.unlinked {
		n.mu.Unlock()
		return
	}
	size := n.size.Load()
	fs.used.Add(-size)
	fs.files.Add(-1)
	n.unlinked = true
	n.dropIfUnused(fs)
	n.mu.Unlock()
}

// Create creates or truncates the named file, like os.Create but with mode
// Mkdir creates a directory. The parent must exist.
func (fs *Fs) Mkdir(name string, perm os.FileMode) error {
	p := clean(name)
	if err := fscheck.CheckName(p); err != nil {
		return pathErr("mkdir", name, err)
	}
	perm = perm &^ fs.umask & chmodBits
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if p == "/" {
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	parent, base, err := fs.lookupParent(p)
	if err != nil {
		return pathErr("mkdir", name, err)
	}
	if parent.children[base] != nil {
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	fs.attach(parent, base, newNode(base, true, os.ModeDir|perm))
	return nil
}

// MkdirAll creates a directory and any missing parents. It succeeds if the
// directory already exists and fails with ENOTDIR if a path component is a
// file.
func (fs *Fs) MkdirAll(name string, perm os.FileMode) error {
	p := clean(name)
	if err := fscheck.CheckName(p); err != nil {
		return pathErr("mkdir", name, err)
	}
	perm = perm &^ fs.umask & chmodBits
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := fs.root
	if p == "/" {
		return nil
	}
	for comp := range strings.SplitSeq(p[1:], "/") {
		c := n.children[comp]
		if c == nil {
			c = newNode(comp, true, os.ModeDir|perm)
			fs.attach(n, comp, c)
		} else if !c.isDir {
			return pathErr("mkdir", name, syscall.ENOTDIR)
		}
		n = c
	}
	return nil
}

// Remove removes a file or an empty directory.
func (fs *Fs) Remove(name string) error {
	p := clean(name)
	fs.mu.Lock()
	if p == "/" {
		fs.mu.Unlock()
		return pathErr("remove", name, syscall.EBUSY)
	}
	n, err := fs.lookup(p)
	if err != nil {
		fs.mu.Unlock()
		return pathErr("remove", name, err)
	}
	if n.isDir && len(n.children) > 0 {
		fs.mu.Unlock()
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	fs.detach(n)
	fs.mu.Unlock()
	if !n.isDir {
		fs.unlink(n)
	}
	return nil
}

// RemoveAll removes name and everything below it. It returns nil if name
// does not exist. RemoveAll("/") empties the filesystem; the root remains.
func (fs *Fs) RemoveAll(name string) error {
	p := clean(name)
	var files []*node
	fs.mu.Lock()
	n, err := fs.lookup(p)
	if err != nil {
		fs.mu.Unlock()
		if err == syscall.ENOENT {
			return nil
		}
		return pathErr("removeall", name, err)
	}
	if n == fs.root {
		for _, c := range n.children {
			files = collectFiles(c, files)
			fs.detach(c)
		}
	} else {
		files = collectFiles(n, files)
		fs.detach(n)
	}
	fs.mu.Unlock()
	for _, f := range files {
		fs.unlink(f)
	}
	return nil
}

// collectFiles appends the regular files in the subtree n. Callers hold fs.mu.
func collectFiles(n *node, acc []*node) []*node {
	if !n.isDir {
		return append(acc, n)
	}
	for _, c := range n.children {
		acc = collectFiles(c, acc)
	}
	return acc
}

// Rename renames (moves) oldname to newname, like rename(2): an existing
// file or empty directory at newname is replaced if it is of the same kind;
// the new parent must exist; a directory cannot be moved below itself.
// Open handles keep working on the moved file. Errors are *os.LinkError, as
// returned by os.Rename.
func (fs *Fs) Rename(oldname, newname string) error {
	op, np := clean(oldname), clean(newname)
	fail := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	if err := fscheck.CheckName(np); err != nil {
		return fail(err)
	}
	fs.mu.Lock()
	n, err := fs.lookup(op)
	if err != nil {
		fs.mu.Unlock()
		return fail(err)
	}
	if op == np {
		fs.mu.Unlock()
		return nil
	}
	if n == fs.root || np == "/" {
		fs.mu.Unlock()
		return fail(syscall.EBUSY)
	}
	if n.isDir && strings.HasPrefix(np, op+"/") {
		fs.mu.Unlock()
		return fail(syscall.EINVAL)
	}
	parent, base, err := fs.lookupParent(np)
	if err != nil {
		fs.mu.Unlock()
		return fail(err)
	}
	var replaced *node
	if t := parent.children[base]; t != nil {
		switch {
		case t == n:
			fs.mu.Unlock()
			return nil
		case n.isDir && !t.isDir:
			fs.mu.Unlock()
			return fail(syscall.ENOTDIR)
		case !n.isDir && t.isDir:
			fs.mu.Unlock()
			return fail(syscall.EISDIR)
		case t.isDir && len(t.children) > 0:
			fs.mu.Unlock()
			return fail(syscall.ENOTEMPTY)
		}
		fs.detach(t)
		if !t.isDir {
			replaced = t
		}
	}
	fs.detach(n)
	fs.attach(parent, base, n)
	fs.mu.Unlock()
	if replaced != nil {
		fs.unlink(replaced)
	}
	return nil
}

// Stat returns a snapshot of the named file's metadata.
func (fs *Fs) find(op, name string) (*node, error) {
	p := clean(name)
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookup(p)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	return n, nil
}

// readdir returns sorted snapshots of the entries of directory n.
func (fs *Fs) readdir(n *node) []os.FileInfo {
	fs.mu.RLock()
	infos := make([]os.FileInfo, 0, len(n.children))
	for name, c := range n.children {
		infos = append(infos, c.info(name))
	}
	fs.mu.RUnlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos
}
