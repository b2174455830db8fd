package memfs

import (
	"os"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"
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
	// chunks[i] holds bytes [i*chunkSize, i*chunkSize+len(chunks[i])).
	// Bytes below size but past len(chunks[i]) (or past len(chunks)) are
	// zeros. len(chunks[i]) never exceeds the file content in that chunk, and
	// the memory in chunks[i][len:cap] was never visible to a running
	// WriteTo (shrinking while one runs copies the chunk), so it may be
	// written in place.
	chunks   [][]byte
	unlinked bool // removed from the tree; no longer counted in Fs.used
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
	for len(p) > 0 {
		ci := int(off >> fs.chunkShift)
		co := int(off & fs.chunkMask)
		m := min(len(p), fs.chunkSize-co)
		k := 0
		if ci < len(n.chunks) {
			if c := n.chunks[ci]; co < len(c) {
				k = copy(p[:m], c[co:])
			}
		}
		clear(p[k:m])
		p = p[m:]
		off += int64(m)
	}
	return total
}

// extendChunks makes sure chunk index ci exists.
func (n *node) extendChunks(ci int) {
	if ci >= len(n.chunks) {
		n.chunks = slices.Grow(n.chunks, ci+1-len(n.chunks))[:ci+1]
	}
}

// release hands chunks that were removed from n.chunks to the recycler,
// unless a WriteTo may still be sending them. freed is the file data
// released. Callers hold mu for writing.
func (n *node) release(fs *Fs, freed int64, chunks ...[]byte) {
	if n.streamers.Load() > 0 {
		chunks = nil
	}
	if freed > 0 || len(chunks) > 0 {
		fs.rec.put(freed, chunks...)
	}
}

// newChunk returns a chunk of length need whose first keep bytes are copied
// from c and whose bytes [keep, zeroTo) are zero; the rest is unspecified.
// The first chunk of a file grows geometrically so small files stay small;
// later chunks are allocated at full size because the file is already
// large. Full-size chunks come from the recycler.
func (fs *Fs) newChunk(c []byte, ci, need, zeroTo int) []byte {
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

// writeAt writes p at off, growing the file as needed. It returns a short
// count and ErrQuotaExceeded if the quota does not allow all of p. Callers
// hold mu for writing.
func (n *node) writeAt(fs *Fs, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	size := n.size.Load()
	end := off + int64(len(p))
	var err error
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
		ci := int(off >> fs.chunkShift)
		co := int(off & fs.chunkMask)
		m := min(len(p), fs.chunkSize-co)
		need := co + m
		n.extendChunks(ci)
		c := n.chunks[ci]
		switch {
		case streaming && co < len(c):
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
		n.chunks[ci] = c
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
	ci := int(pos >> fs.chunkShift)
	var old []byte
	if ci < len(n.chunks) {
		if old = n.chunks[ci]; len(old) > fill {
			return false
		}
	}
	size := n.size.Load()
	end := pos + int64(fill)
	if end > size {
		want := end - size
		if got := fs.reserve(n, want); got < want {
			fs.unreserve(n, got)
			return false
		}
		n.size.Store(end)
	}
	n.extendChunks(ci)
	n.chunks[ci] = buf[:fill]
	n.touch()
	if old != nil {
		n.release(fs, 0, old)
	}
	return true
}

// truncate sets the file size, dropping chunks past the new end. Callers
// hold mu for writing.
func (n *node) truncate(fs *Fs, newSize int64) error {
	size := n.size.Load()
	switch {
	case newSize > size:
		want := newSize - size
		if got := fs.reserve(n, want); got < want {
			fs.unreserve(n, got)
			return ErrQuotaExceeded
		}
	case newSize < size:
		var dropped [][]byte
		keepChunks := int((newSize + fs.chunkMask) >> fs.chunkShift)
		if keepChunks < len(n.chunks) {
			dropped = append(dropped, n.chunks[keepChunks:]...)
			clear(n.chunks[keepChunks:])
			n.chunks = n.chunks[:keepChunks]
			if cap(n.chunks) > 2*keepChunks+8 {
				n.chunks = slices.Clip(slices.Clone(n.chunks))
			}
		}
		if keepChunks > 0 && keepChunks <= len(n.chunks) {
			ci := keepChunks - 1
			keep := int(newSize - int64(ci)<<fs.chunkShift)
			if c := n.chunks[ci]; len(c) > keep {
				if n.streamers.Load() > 0 || keep < cap(c)/4 {
					// Copy: the old memory may still be sent by a
					// WriteTo, or is mostly unused.
					n.chunks[ci] = slices.Clone(c[:keep])
					dropped = append(dropped, c)
				} else {
					n.chunks[ci] = c[:keep]
				}
			}
		}
		if len(n.chunks) == 0 {
			n.chunks = nil
		}
		fs.unreserve(n, size-newSize)
		n.release(fs, size-newSize, dropped...)
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
	ci := int((size - 1) >> fs.chunkShift)
	if ci >= len(n.chunks) {
		return
	}
	if c := n.chunks[ci]; cap(c) > 1024 && len(c) < cap(c)/2 {
		if len(c) == 0 {
			n.chunks[ci] = nil
		} else {
			n.chunks[ci] = slices.Clone(c)
		}
		n.release(fs, 0, c)
	}
}

// dropIfUnused frees the data of an unlinked file without open handles.
// Callers hold mu for writing.
func (n *node) dropIfUnused(fs *Fs) {
	if !n.unlinked || n.opens.Load() > 0 || n.chunks == nil {
		return
	}
	chunks := n.chunks
	n.chunks = nil
	n.release(fs, n.size.Load(), chunks...)
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
