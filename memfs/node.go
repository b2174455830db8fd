package memfs

import (
	"cmp"
	"os"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// node is a file or directory. Tree fields are guarded by Fs.mu, file data
// by node.mu; metadata read by Stat/Readdir is atomic so listing a directory
// never waits for a writer.
type node struct {
	// Guarded by Fs.mu.
	name     string
	parent   *node
	children map[string]*node // directories only

	isDir bool // immutable

	mode  atomic.Uint32 // os.FileMode
	mtime atomic.Int64  // UnixNano
	size  atomic.Int64  // stored under mu
	uid   atomic.Int64
	gid   atomic.Int64
	opens atomic.Int32 // open handles; decremented under mu

	// streamers counts WriteTo calls that may be sending chunk memory
	// without holding mu. While it is non-zero, writers copy a chunk before
	// modifying bytes that are visible (copy-on-write).
	streamers atomic.Int32

	mu sync.RWMutex
	// chunks are the stored parts of the file, sorted by index; a chunk
	// index with no entry is a hole. Chunk i holds bytes [i*chunkSize,
	// i*chunkSize+len(b)). Bytes below size that no chunk holds come from
	// gen below genEnd and are zeros above it; a chunk starting below
	// genEnd always holds every byte of it below genEnd, so the bytes past
	// len(b) of a chunk are zeros. The memory in b[len:cap] was never
	// visible to a running WriteTo (shrinking while one runs copies the
	// chunk), so it may be written in place.
	chunks []chunk
	// gen computes the bytes of a generated file (see Fs.Generate) that no
	// chunk holds, below genEnd; nil for other files.
	gen      func(p []byte, off int64)
	genEnd   int64
	unlinked bool // removed from the tree; no longer counted in Fs.used
}

// chunk is one stored chunk of a file: index i (offset i*chunkSize) and
// its bytes.
type chunk struct {
	i int64
	b []byte
}

func newNode(name string, dir bool, mode os.FileMode) *node {
	n := &node{name: name, isDir: dir}
	if dir {
		n.children = make(map[string]*node)
	}
	n.mode.Store(uint32(mode))
	n.touch()
	return n
}

func (n *node) touch() { n.mtime.Store(time.Now().UnixNano()) }

// info returns a snapshot of n's metadata under the given base name.
func (n *node) info(name string) *fileInfo {
	fi := &fileInfo{
		name:    name,
		mode:    os.FileMode(n.mode.Load()),
		modTime: time.Unix(0, n.mtime.Load()),
	}
	if !n.isDir {
		fi.size = n.size.Load()
	}
	return fi
}

// find returns the position of chunk ci in n.chunks, or where it would be
// inserted, and whether it is there. Files without holes (chunk i at
// position i) and appends are found at once; holes cost a binary search.
// Callers hold mu.
func (n *node) find(ci int64) (int, bool) {
	k := len(n.chunks)
	if ci < int64(k) && n.chunks[ci].i == ci {
		return int(ci), true
	}
	if k == 0 || n.chunks[k-1].i < ci {
		return k, false
	}
	if n.chunks[k-1].i == ci {
		return k - 1, true
	}
	return slices.BinarySearchFunc(n.chunks, ci, func(c chunk, i int64) int { return cmp.Compare(c.i, i) })
}

// set stores b as chunk ci at position at (from find). Callers hold mu for
// writing.
func (n *node) set(at int, found bool, ci int64, b []byte) {
	if found {
		n.chunks[at].b = b
		return
	}
	n.chunks = slices.Insert(n.chunks, at, chunk{ci, b})
}

// genLen is how many bytes of chunk ci come from the generator.
func (n *node) genLen(fs *Fs, ci int64) int {
	base := ci << fs.chunkShift
	if base >= n.genEnd {
		return 0
	}
	return int(min(int64(fs.chunkSize), n.genEnd-base))
}

// readAt copies the bytes at off into p and returns how many were copied
// (short only at end of file). Callers hold mu (read or write).
func (n *node) readAt(fs *Fs, p []byte, off int64) int {
	size := n.size.Load()
	if off >= size {
		return 0
	}
	if int64(len(p)) > size-off {
		p = p[:size-off]
	}
	total := len(p)
	at, _ := n.find(off >> fs.chunkShift)
	for len(p) > 0 {
		ci := off >> fs.chunkShift
		co := int(off & fs.chunkMask)
		m := min(len(p), fs.chunkSize-co)
		for at < len(n.chunks) && n.chunks[at].i < ci {
			at++
		}
		k := 0
		if at < len(n.chunks) && n.chunks[at].i == ci {
			if c := n.chunks[at].b; co < len(c) {
				k = copy(p[:m], c[co:])
			}
		} else if off < n.genEnd {
			k = int(min(int64(m), n.genEnd-off))
			n.gen(p[:k], off)
		}
		clear(p[k:m])
		p = p[m:]
		off += int64(m)
	}
	return total
}

// release hands chunks that were removed from n.chunks to the recycler,
// unless a WriteTo may still be sending them. Callers hold mu for writing.
func (n *node) release(fs *Fs, chunks ...[]byte) {
	if len(chunks) > 0 && n.streamers.Load() == 0 {
		fs.rec.put(chunks...)
	}
}

// newChunk returns a chunk of length need whose first keep bytes are copied
// from c and whose bytes [keep, zeroTo) are zero; the rest is unspecified.
// The first chunk of a file grows geometrically so small files stay small;
// later chunks are allocated at full size because the file is already
// large. Full-size chunks come from the recycler.
func (fs *Fs) newChunk(c []byte, ci int64, need, zeroTo int) []byte {
	newCap := fs.chunkSize
	if ci == 0 && need <= fs.chunkSize/2 {
		newCap = max(need, 2*cap(c), 512)
		if newCap > fs.chunkSize/2 {
			newCap = fs.chunkSize
		}
	}
	var nc []byte
	if newCap == fs.chunkSize {
		nc = fs.rec.get()[:need]
		clear(nc[len(c):max(zeroTo, len(c))])
	} else {
		nc = make([]byte, need, newCap)
	}
	copy(nc, c)
	return nc
}

// limit shortens a write of k bytes at off to what MaxFileSize allows. It
// returns the bytes allowed and, if that is fewer than k, the error to
// report.
func (fs *Fs) limit(off int64, k int) (int, error) {
	room := fs.maxSize - off
	if int64(k) <= room {
		return k, nil
	}
	return int(max(room, 0)), fscheck.TooLarge(fs.maxSize)
}

// writeAt writes p at off, growing the file as needed. It returns a short
// count and ErrQuotaExceeded or ErrFileTooLarge if the quota or
// MaxFileSize does not allow all of p. Callers hold mu for writing.
func (n *node) writeAt(fs *Fs, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	k, err := fs.limit(off, len(p))
	if k == 0 {
		return 0, err
	}
	p = p[:k]
	size := n.size.Load()
	end := off + int64(len(p))
	if end > size {
		want := end - size
		got := fs.reserve(n, want)
		if got < want {
			err = ErrQuotaExceeded
			end = size + got
			if end <= off {
				fs.unreserve(n, got)
				return 0, err
			}
			p = p[:end-off]
		}
	}
	streaming := n.streamers.Load() > 0
	written := len(p)
	for len(p) > 0 {
		ci := off >> fs.chunkShift
		co := int(off & fs.chunkMask)
		m := min(len(p), fs.chunkSize-co)
		need := co + m
		at, found := n.find(ci)
		var c []byte
		visible := found // a WriteTo may be sending c
		if found {
			c = n.chunks[at].b
		} else if gl := n.genLen(fs, ci); gl > 0 {
			// The first write into a generated chunk stores the
			// generated bytes it does not overwrite.
			c = fs.newChunk(nil, ci, max(gl, need), 0)
			if co > 0 || need < gl {
				n.gen(c[:gl], ci<<fs.chunkShift)
			}
			clear(c[gl:max(co, gl)])
		}
		switch {
		case streaming && visible && co < len(c):
			// A WriteTo may be sending these bytes: copy on write. The
			// old chunk is left to the garbage collector.
			if cap(c) == fs.chunkSize {
				nc := fs.rec.get()[:max(need, len(c))]
				copy(nc, c)
				c = nc
			} else {
				nc := make([]byte, max(need, len(c)), max(need, cap(c)))
				copy(nc, c)
				c = nc
			}
		case need <= len(c):
			// Plain overwrite.
		case need <= cap(c):
			if co > len(c) {
				clear(c[len(c):co])
			}
			c = c[:need]
		default:
			c = fs.newChunk(c, ci, need, co)
		}
		copy(c[co:], p[:m])
		n.set(at, found, ci, c)
		p = p[m:]
		off += int64(m)
	}
	if end > size {
		n.size.Store(end)
	}
	n.touch()
	return written, err
}

// adoptChunk installs buf[:fill] (a chunk-sized buffer whose first fill
// bytes are data for chunk-aligned offset pos) as a chunk when that loses no
// existing data. It reports whether it did. Callers hold mu for writing.
func (n *node) adoptChunk(fs *Fs, buf []byte, fill int, pos int64) bool {
	ci := pos >> fs.chunkShift
	at, found := n.find(ci)
	var old []byte
	if found {
		old = n.chunks[at].b
	}
	end := pos + int64(fill)
	if len(old) > fill || n.genLen(fs, ci) > fill || end > fs.maxSize {
		return false
	}
	if size := n.size.Load(); end > size {
		want := end - size
		if got := fs.reserve(n, want); got < want {
			fs.unreserve(n, got)
			return false
		}
		n.size.Store(end)
	}
	n.set(at, found, ci, buf[:fill])
	n.touch()
	if old != nil {
		n.release(fs, old)
	}
	return true
}

// truncate sets the file size, dropping chunks past the new end. Callers
// hold mu for writing.
func (n *node) truncate(fs *Fs, newSize int64) error {
	size := n.size.Load()
	switch {
	case newSize > size:
		if newSize > fs.maxSize {
			return fscheck.TooLarge(fs.maxSize)
		}
		want := newSize - size
		if got := fs.reserve(n, want); got < want {
			fs.unreserve(n, got)
			return ErrQuotaExceeded
		}
	case newSize < size:
		var dropped [][]byte
		keep := newSize >> fs.chunkShift // chunks below it stay
		if newSize&fs.chunkMask != 0 {
			keep++
		}
		cut, _ := n.find(keep)
		for _, c := range n.chunks[cut:] {
			dropped = append(dropped, c.b)
		}
		clear(n.chunks[cut:])
		n.chunks = n.chunks[:cut]
		if cap(n.chunks) > 2*cut+8 {
			n.chunks = slices.Clip(slices.Clone(n.chunks))
		}
		if cut > 0 && n.chunks[cut-1].i == keep-1 {
			last := &n.chunks[cut-1]
			k := int(newSize - last.i<<fs.chunkShift)
			if c := last.b; len(c) > k {
				if n.streamers.Load() > 0 || k < cap(c)/4 {
					// Copy: the old memory may still be sent by a
					// WriteTo, or is mostly unused.
					last.b = slices.Clone(c[:k])
					dropped = append(dropped, c)
				} else {
					last.b = c[:k]
				}
			}
		}
		if len(n.chunks) == 0 {
			n.chunks = nil
		}
		if n.genEnd > newSize {
			n.genEnd = newSize
		}
		if n.genEnd == 0 {
			n.gen = nil
		}
		fs.unreserve(n, size-newSize)
		n.release(fs, dropped...)
	}
	n.size.Store(newSize)
	n.touch()
	return nil
}

// compactTail shrinks a mostly unused last chunk to its content. Callers
// hold mu for writing.
func (n *node) compactTail(fs *Fs) {
	size := n.size.Load()
	if size == 0 {
		return
	}
	at, found := n.find((size - 1) >> fs.chunkShift)
	if !found {
		return
	}
	if c := n.chunks[at].b; cap(c) > 1024 && len(c) < cap(c)/2 {
		if len(c) == 0 {
			n.chunks = slices.Delete(n.chunks, at, at+1)
		} else {
			n.chunks[at].b = slices.Clone(c)
		}
		n.release(fs, c)
	}
}

// dropIfUnused frees the data of an unlinked file without open handles.
// Callers hold mu for writing.
func (n *node) dropIfUnused(fs *Fs) {
	if !n.unlinked || n.opens.Load() > 0 || (n.chunks == nil && n.gen == nil) {
		return
	}
	dropped := make([][]byte, len(n.chunks))
	for i, c := range n.chunks {
		dropped[i] = c.b
	}
	n.chunks, n.gen, n.genEnd = nil, nil, 0
	n.release(fs, dropped...)
}

// fileInfo is an immutable metadata snapshot implementing os.FileInfo.
type fileInfo struct {
	name    string
	size    int64
	mode    os.FileMode
	modTime time.Time
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() os.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return nil }

func baseName(p string) string {
	if p == "/" {
		return "/"
	}
	return path.Base(p)
}
