package memfs

import (
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// File is an open file or directory of an [Fs]. It implements afero.File,
// fs.ReadDirFile, io.ReaderFrom and io.WriterTo, and is safe for concurrent
// use. After Close every method except Name returns an error wrapping
// os.ErrClosed.
type File struct {
	fs       *Fs
	node     *node
	name     string // clean path used to open the file
	readable bool
	writable bool
	append   bool

	closed atomic.Bool
	wrote  atomic.Bool // data was written through this handle

	mu      sync.Mutex // guards the fields below
	offset  int64
	dirents []os.FileInfo // directory snapshot, taken by the first Readdir
	dirPos  int
}

var (
	_ afero.File     = (*File)(nil)
	_ fs.ReadDirFile = (*File)(nil)
	_ io.ReaderFrom  = (*File)(nil)
	_ io.WriterTo    = (*File)(nil)
)

// Test hooks, called at the start of ReadFrom and WriteTo when set.
var testHookReadFrom, testHookWriteTo func()

// zeros is the source for sending holes in WriteTo. It is never written.
var zeros = make([]byte, 64<<10)

// Name returns the cleaned absolute path the file was opened with.
func (f *File) Name() string { return f.name }

func (f *File) check(op string, wantRead, wantWrite bool) error {
	if f.closed.Load() {
		return pathErr(op, f.name, os.ErrClosed)
	}
	if f.node.isDir && (wantRead || wantWrite) {
		return pathErr(op, f.name, syscall.EISDIR)
	}
	if (wantRead && !f.readable) || (wantWrite && !f.writable) {
		return pathErr(op, f.name, syscall.EBADF)
	}
	return nil
}

// Close releases the handle. Closing twice returns an error wrapping
// os.ErrClosed.
func (f *File) Close() error {
	if !f.closed.CompareAndSwap(false, true) {
		return pathErr("close", f.name, os.ErrClosed)
	}
	n := f.node
	n.mu.Lock()
	n.opens.Add(-1)
	if f.wrote.Load() {
		n.compactTail(f.fs)
	}
	n.dropIfUnused(f.fs)
	n.mu.Unlock()
	return nil
}

// Read reads up to len(p) bytes at the file offset. At end of file it
// returns 0, io.EOF.
func (f *File) Read(p []byte) (int, error) {
	if err := f.check("read", true, false); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	n := f.node
	n.mu.RLock()
	k := n.readAt(f.fs, p, f.offset)
	n.mu.RUnlock()
	f.offset += int64(k)
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// ReadAt reads len(p) bytes at off without moving the file offset. It
// returns io.EOF when fewer bytes are available.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", true, false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, errNegativeOffset)
	}
	n := f.node
	n.mu.RLock()
	k := n.readAt(f.fs, p, off)
	n.mu.RUnlock()
	if k < len(p) {
		return k, io.EOF
	}
	return k, nil
}

// Seek sets the offset for the next Read or Write. Seeking past the end is
// allowed; a later write fills the gap with zeros (a hole using no memory).
// A negative result or an invalid whence fails with EINVAL; on a writable
// handle, an offset past [Options.MaxFileSize] fails with ErrFileTooLarge. On a directory
// Seek(0, io.SeekStart) restarts Readdir.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if err := f.check("seek", false, false); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = f.offset + offset
	case io.SeekEnd:
		pos = f.node.size.Load() + offset
	default:
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	if pos < 0 {
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	if f.writable && pos > f.fs.maxSize {
		return 0, pathErr("seek", f.name, fscheck.TooLarge(f.fs.maxSize))
	}
	if f.node.isDir {
		if pos != 0 {
			return 0, pathErr("seek", f.name, syscall.EINVAL)
		}
		f.dirents, f.dirPos = nil, 0
	}
	f.offset = pos
	return pos, nil
}

// Write writes p at the file offset (at the end of file for O_APPEND
// handles) and advances the offset.
func (f *File) Write(p []byte) (int, error) {
	if err := f.check("write", false, true); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.node
	n.mu.Lock()
	if f.append {
		f.offset = n.size.Load()
	}
	k, err := n.writeAt(f.fs, p, f.offset)
	n.mu.Unlock()
	f.offset += int64(k)
	f.wrote.Store(true)
	if err != nil {
		return k, pathErr("write", f.name, err)
	}
	return k, nil
}

// WriteAt writes p at off without moving the file offset. Like os.File it
// is an error on O_APPEND handles.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", false, true); err != nil {
		return 0, err
	}
	if f.append {
		return 0, errWriteAtInAppendMode
	}
	if off < 0 {
		return 0, pathErr("writeat", f.name, errNegativeOffset)
	}
	n := f.node
	n.mu.Lock()
	k, err := n.writeAt(f.fs, p, off)
	n.mu.Unlock()
	f.wrote.Store(true)
	if err != nil {
		return k, pathErr("write", f.name, err)
	}
	return k, nil
}

// WriteString is Write of a string.
func (f *File) WriteString(s string) (int, error) {
	return f.Write([]byte(s))
}

// Truncate changes the file size. Shrinking frees the chunks past the new
// end; growing adds a hole that reads as zeros. The offset is unchanged.
func (f *File) Truncate(size int64) error {
	if err := f.check("truncate", false, true); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	n := f.node
	n.mu.Lock()
	err := n.truncate(f.fs, size)
	n.mu.Unlock()
	if err != nil {
		return pathErr("truncate", f.name, err)
	}
	return nil
}

// Sync does nothing: the data is already in memory.
func (f *File) Sync() error {
	return f.check("sync", false, false)
}

// Stat returns a snapshot of the file's metadata. It keeps working after the
// file was removed or renamed; the name is the base of the path it was
// opened with.
func (f *File) Stat() (os.FileInfo, error) {
	if err := f.check("stat", false, false); err != nil {
		return nil, err
	}
	return f.node.info(baseName(f.name)), nil
}

// Readdir returns the directory's entries sorted by name. The entry list is
// a snapshot taken by the first call. With count > 0 it returns at most
// count entries per call and io.EOF once none remain; with count <= 0 it
// returns all remaining entries and a nil error.
func (f *File) Readdir(count int) ([]os.FileInfo, error) {
	if err := f.check("readdir", false, false); err != nil {
		return nil, err
	}
	if !f.node.isDir {
		return nil, pathErr("readdir", f.name, syscall.ENOTDIR)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dirents == nil {
		f.dirents = f.fs.readdir(f.node)
		f.dirPos = 0
	}
	rest := f.dirents[f.dirPos:]
	if count <= 0 {
		f.dirPos = len(f.dirents)
		return rest, nil
	}
	if len(rest) == 0 {
		return []os.FileInfo{}, io.EOF
	}
	rest = rest[:min(count, len(rest))]
	f.dirPos += len(rest)
	return rest, nil
}

// Readdirnames is Readdir returning only the names.
func (f *File) Readdirnames(n int) ([]string, error) {
	infos, err := f.Readdir(n)
	names := make([]string, len(infos))
	for i, fi := range infos {
		names[i] = fi.Name()
	}
	return names, err
}

// ReadDir implements fs.ReadDirFile with the semantics of Readdir.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	infos, err := f.Readdir(n)
	entries := make([]fs.DirEntry, len(infos))
	for i, fi := range infos {
		entries[i] = fs.FileInfoToDirEntry(fi)
	}
	return entries, err
}

// ReadFrom copies r into the file at the file offset until io.EOF, which is
// not reported as an error. Data is received directly into newly allocated
// chunk memory that is then attached to the file, so an upload is stored
// without any intermediate copy. Received data becomes visible to readers
// chunk by chunk.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if err := f.check("write", false, true); err != nil {
		return 0, err
	}
	if testHookReadFrom != nil {
		testHookReadFrom()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, fsys := f.node, f.fs
	cs := fsys.chunkSize
	var buf []byte // staging chunk; contents outside [co, fill) are garbage
	defer func() {
		if buf != nil {
			fsys.rec.put(buf)
		}
	}()
	var total int64
	for {
		pos := f.offset
		if f.append {
			pos = n.size.Load()
		}
		co := int(pos & fsys.chunkMask)
		if (total == 0 && cs-co > firstRound) || cs-co < minRead {
			// Most uploads are small: take the first bytes through a
			// small pooled buffer instead of a whole chunk.
			k, werr, rerr := f.readFromSmall(r, pos)
			total += int64(k)
			if werr != nil {
				return total, werr
			}
			if rerr == io.EOF {
				return total, nil
			}
			if rerr != nil {
				return total, rerr
			}
			if k > 0 {
				continue
			}
		}
		if buf == nil {
			buf = fsys.rec.get()
		}
		got, rerr := readSome(r, buf[co:cs])
		fill := co + got
		if fill > co {
			if f.closed.Load() {
				return total, pathErr("write", f.name, os.ErrClosed)
			}
			n.mu.Lock()
			if f.append && n.size.Load() != pos {
				pos = n.size.Load() // another writer appended meanwhile
			}
			var k int
			var werr error
			if co == 0 && pos&fsys.chunkMask == 0 && fill >= cs/2 && n.adoptChunk(fsys, buf, fill, pos) {
				k, buf = fill, nil
			} else {
				k, werr = n.writeAt(fsys, buf[co:fill], pos)
			}
			if rerr != nil {
				n.compactTail(fsys)
			}
			n.mu.Unlock()
			f.wrote.Store(true)
			f.offset = pos + int64(k)
			total += int64(k)
			if werr != nil {
				return total, pathErr("write", f.name, werr)
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// minRead is the least buffer space ReadFrom hands to a Read: some readers
// make no progress with a tiny buffer (ftpserverlib's ASCII converter
// returns 0 bytes, or fails, when fewer than 3 bytes are free).
const minRead = 512

// readSome reads into p until it is full, r fails, or fewer than minRead
// bytes of p are left after some data arrived. Many reads in a row that
// return nothing end it with io.ErrNoProgress, as in bufio.
func readSome(r io.Reader, p []byte) (int, error) {
	fill, empty := 0, 0
	for fill < len(p) && (fill == 0 || len(p)-fill >= minRead) {
		k, err := r.Read(p[fill:])
		fill += k
		if err != nil {
			return fill, err
		}
		if k > 0 {
			empty = 0
		} else if empty++; empty >= 100 {
			return fill, io.ErrNoProgress
		}
	}
	return fill, nil
}

// firstRound is the size of the buffer ReadFrom uses for its first read.
const firstRound = 64 << 10

var smallBufs = sync.Pool{New: func() any { return new([firstRound]byte) }}

// readFromSmall reads up to firstRound bytes from r and writes them at pos
// (or at the end for O_APPEND). Callers hold f.mu.
func (f *File) readFromSmall(r io.Reader, pos int64) (n int, werr, rerr error) {
	sb := smallBufs.Get().(*[firstRound]byte)
	defer smallBufs.Put(sb)
	fill, rerr := readSome(r, sb[:])
	if fill == 0 {
		return 0, nil, rerr
	}
	if f.closed.Load() {
		return 0, pathErr("write", f.name, os.ErrClosed), rerr
	}
	nd := f.node
	nd.mu.Lock()
	if f.append {
		pos = nd.size.Load()
	}
	n, err := nd.writeAt(f.fs, sb[:fill], pos)
	if rerr != nil {
		nd.compactTail(f.fs)
	}
	nd.mu.Unlock()
	f.wrote.Store(true)
	f.offset = pos + int64(n)
	if err != nil {
		werr = pathErr("write", f.name, err)
	}
	return n, werr, rerr
}

// WriteTo writes the file from the file offset to its end into w, advancing
// the offset. Chunk memory is handed to w.Write directly without holding the
// file lock; concurrent writers copy-on-write the chunks involved.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	if err := f.check("read", true, false); err != nil {
		return 0, err
	}
	if testHookWriteTo != nil {
		testHookWriteTo()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, fsys := f.node, f.fs
	n.streamers.Add(1)
	defer n.streamers.Add(-1)
	var genBuf *[genBufSize]byte
	defer func() {
		if genBuf != nil {
			genBufs.Put(genBuf)
		}
	}()
	var total int64
	for {
		n.mu.RLock()
		size := n.size.Load()
		pos := f.offset
		if pos >= size {
			n.mu.RUnlock()
			return total, nil
		}
		ci := pos >> fsys.chunkShift
		co := int(pos & fsys.chunkMask)
		segEnd := int(min(int64(fsys.chunkSize), size-ci<<fsys.chunkShift))
		var s []byte
		var gen func([]byte, int64)
		if at, found := n.find(ci); found && co < len(n.chunks[at].b) {
			c := n.chunks[at].b
			s = c[co:min(len(c), segEnd)]
		} else if !found && pos < n.genEnd {
			// Generated bytes are computed outside the lock: gen is a
			// pure function and the length is taken now.
			gen = n.gen
			if genBuf == nil {
				genBuf = genBufs.Get().(*[genBufSize]byte)
			}
			s = genBuf[:min(genBufSize, segEnd-co, int(min(n.genEnd-pos, genBufSize)))]
		} else {
			s = zeros[:min(len(zeros), segEnd-co)]
		}
		n.mu.RUnlock()
		if gen != nil {
			gen(s, pos)
		}
		k, err := w.Write(s)
		total += int64(k)
		f.offset += int64(k)
		if err != nil {
			return total, err
		}
		if k != len(s) {
			return total, io.ErrShortWrite
		}
	}
}

// genBufSize is the size of the buffers WriteTo computes generated
// content into.
const genBufSize = 256 << 10

var genBufs = sync.Pool{New: func() any { return new([genBufSize]byte) }}
