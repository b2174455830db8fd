package memfs

import (
	"math"
	"math/bits"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// DefaultChunkSize is the chunk size used when [Options.ChunkSize] is zero.
// Measured over loopback TCP (BenchmarkChunkSize), 64-256 KiB chunks were
// 10-30% slower for downloads than 1 MiB (smaller write syscalls), while
// 4 MiB gained nothing measurable and doubles the worst-case slack of a
// file's last chunk.
const DefaultChunkSize = 1 << 20

// DefaultMaxFileSize is the largest size of a file when
// [Options.MaxFileSize] is 0: 16 GiB, past 4 GiB so that 32-bit size
// handling can be tested with holes, which cost no memory.
const DefaultMaxFileSize = 16 << 30

// DefaultRecycleLimit is the number of bytes of freed chunks kept for reuse
// when [Options.RecycleLimit] is 0.
const DefaultRecycleLimit = 512 << 20

// DefaultReleaseDelay is the quiet period used when [Options.ReleaseDelay]
// is 0.
const DefaultReleaseDelay = 250 * time.Millisecond

const (
	minChunkSize = 64
	maxChunkSize = 64 << 20
	// chmodBits are the mode bits Chmod may change (as documented for os.Chmod).
	chmodBits = os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky
	// defaultFileMode is the permission of files made by Create.
	defaultFileMode = 0o644
)

// Options configures an Fs created by [NewWithOptions]. The zero value is
// valid and equivalent to [New].
type Options struct {
	// ChunkSize is the storage unit of file data in bytes. It is rounded up
	// to a power of two between 64 B and 64 MiB. Zero selects
	// DefaultChunkSize. Tiny values are only useful for tests.
	ChunkSize int

	// Quota, if positive, limits the bytes stored (the sum of the sizes of
	// all regular files still linked in the tree, holes and generated
	// content included). Writes and truncates that would exceed it fail
	// with an error wrapping ErrQuotaExceeded; a write stores the bytes
	// that still fit and reports a short count.
	Quota int64

	// MaxFileSize is the largest size a file may grow to. A write or
	// truncate past it, or the offset of a writable handle past it, fails
	// with an error wrapping ErrFileTooLarge (a write stores the bytes
	// below the limit first). Holes cost no memory, so the limit is about
	// what one upload may cost, not about offsets. Generated files
	// ([Fs.Generate]) may be larger, but cannot be written past it either.
	// Zero selects DefaultMaxFileSize; negative means no limit.
	MaxFileSize int64

	// Umask holds permission bits cleared from the perm argument of OpenFile
	// (when it creates a file), Mkdir and MkdirAll. The zero value keeps perm
	// as given, like afero.MemMapFs. Create always uses 0644.
	Umask os.FileMode

	// RecycleLimit is how many bytes of chunks freed by Truncate, O_TRUNC,
	// Remove, RemoveAll or a replacing Rename are kept for reuse by later
	// writes. Reusing memory the process already touched makes a
	// re-upload about twice as fast as writing into fresh memory and keeps
	// the peak memory of overwriting a file near its size. Zero selects
	// DefaultRecycleLimit; negative disables recycling.
	RecycleLimit int64

	// ReleaseDelay is the quiet period (no chunk freed or reused) after
	// which kept chunks are dropped, leaving their memory to the garbage
	// collector. Zero selects DefaultReleaseDelay.
	ReleaseDelay time.Duration
}

// Fs is an in-memory filesystem implementing [afero.Fs] and [afero.Lstater].
// Create one with [New] or [NewWithOptions]; the zero value is not usable.
type Fs struct {
	mu   sync.RWMutex // guards the tree: node.name, node.parent, node.children
	root *node

	chunkShift uint
	chunkSize  int
	chunkMask  int64
	quota      int64
	maxSize    int64
	umask      os.FileMode

	used  atomic.Int64 // bytes stored in linked regular files
	files atomic.Int64 // linked regular files

	rec recycler
}

var (
	_ afero.Fs      = (*Fs)(nil)
	_ afero.Lstater = (*Fs)(nil)
)

// New returns an empty filesystem containing only the root directory "/",
// with default options.
func New() *Fs {
	return NewWithOptions(Options{})
}

// NewWithOptions returns an empty filesystem configured by opts.
func NewWithOptions(opts Options) *Fs {
	cs := opts.ChunkSize
	if cs <= 0 {
		cs = DefaultChunkSize
	}
	cs = min(max(cs, minChunkSize), maxChunkSize)
	shift := uint(bits.Len(uint(cs - 1)))
	cs = 1 << shift
	maxSize := opts.MaxFileSize
	switch {
	case maxSize == 0:
		maxSize = DefaultMaxFileSize
	case maxSize < 0:
		maxSize = math.MaxInt64
	}
	rl := opts.RecycleLimit
	if rl == 0 {
		rl = DefaultRecycleLimit
	}
	delay := opts.ReleaseDelay
	if delay <= 0 {
		delay = DefaultReleaseDelay
	}
	fs := &Fs{
		chunkShift: shift,
		chunkSize:  cs,
		chunkMask:  int64(cs - 1),
		quota:      opts.Quota,
		maxSize:    maxSize,
		umask:      opts.Umask & chmodBits,
		rec: recycler{
			size:  cs,
			limit: int(max(rl, 0) / int64(cs)),
			delay: delay,
		},
	}
	fs.root = newNode("/", true, os.ModeDir|0o755)
	return fs
}

// Name returns the name of this filesystem type, "memfs".
func (fs *Fs) Name() string { return "memfs" }

// Usage reports the number of regular files in the tree and the bytes they
// store (the sum of their sizes; holes and generated content count as
// stored). Files removed while still open no longer count.
func (fs *Fs) Usage() (files int, bytes int64) {
	return int(fs.files.Load()), fs.used.Load()
}

// ChunkSize returns the effective chunk size in bytes.
func (fs *Fs) ChunkSize() int { return fs.chunkSize }

// MaxFileSize returns the largest size a file may grow to
// ([Options.MaxFileSize]; math.MaxInt64 when there is no limit).
func (fs *Fs) MaxFileSize() int64 { return fs.maxSize }

// Release drops the chunks kept for reuse at once instead of after
// [Options.ReleaseDelay], leaving their memory to the garbage collector.
// memfs never forces a garbage collection: a program that wants the memory
// back in the operating system at once calls debug.FreeOSMemory (a
// process-wide collection) after Release.
func (fs *Fs) Release() {
	fs.rec.stop()
}

// reserve accounts for growing a file by want bytes and returns how many
// bytes may be used. Callers hold n.mu for writing.
func (fs *Fs) reserve(n *node, want int64) int64 {
	if want <= 0 || n.unlinked {
		return want
	}
	if fs.quota <= 0 {
		fs.used.Add(want)
		return want
	}
	for {
		cur := fs.used.Load()
		got := min(want, max(fs.quota-cur, 0))
		if got == 0 || fs.used.CompareAndSwap(cur, cur+got) {
			return got
		}
	}
}

// unreserve accounts for shrinking a file by n bytes. Callers hold n.mu for
// writing.
func (fs *Fs) unreserve(n *node, by int64) {
	if by > 0 && !n.unlinked {
		fs.used.Add(-by)
	}
}

// 0644. The handle is opened read-write.
func (fs *Fs) Create(name string) (afero.File, error) {
	return fs.openFile("open", name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, defaultFileMode, true)
}

// Open opens the named file or directory for reading.
func (fs *Fs) Open(name string) (afero.File, error) {
	return fs.openFile("open", name, os.O_RDONLY, 0, false)
}

// OpenFile opens the named file with the given flags (os.O_RDONLY,
// os.O_WRONLY or os.O_RDWR, optionally combined with os.O_CREATE, os.O_EXCL,
// os.O_TRUNC and os.O_APPEND). perm (minus Options.Umask) is the mode of a
// newly created file.
func (fs *Fs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	return fs.openFile("open", name, flag, perm, false)
}

func (fs *Fs) openFile(op, name string, flag int, perm os.FileMode, exactPerm bool) (*File, error) {
	p := clean(name)
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	readable := acc == os.O_RDONLY || acc == os.O_RDWR
	writable := acc == os.O_WRONLY || acc == os.O_RDWR
	if !exactPerm {
		perm &^= fs.umask
	}
	perm &= chmodBits

	var n *node
	if flag&os.O_CREATE != 0 {
		if err := fscheck.CheckName(p); err != nil {
			return nil, pathErr(op, name, err)
		}
		fs.mu.Lock()
		if p == "/" {
			fs.mu.Unlock()
			return nil, pathErr(op, name, syscall.EISDIR)
		}
		parent, base, err := fs.lookupParent(p)
		if err != nil {
			fs.mu.Unlock()
			return nil, pathErr(op, name, err)
		}
		n = parent.children[base]
		switch {
		case n == nil:
			n = newNode(base, false, perm)
			fs.attach(parent, base, n)
			fs.files.Add(1)
		case flag&os.O_EXCL != 0:
			fs.mu.Unlock()
			return nil, pathErr(op, name, syscall.EEXIST)
		case n.isDir:
			fs.mu.Unlock()
			return nil, pathErr(op, name, syscall.EISDIR)
		}
		n.opens.Add(1)
		fs.mu.Unlock()
	} else {
		fs.mu.RLock()
		var err error
		n, err = fs.lookup(p)
		if err != nil {
			fs.mu.RUnlock()
			return nil, pathErr(op, name, err)
		}
		if n.isDir && writable {
			fs.mu.RUnlock()
			return nil, pathErr(op, name, syscall.EISDIR)
		}
		n.opens.Add(1)
		fs.mu.RUnlock()
	}

	f := &File{
		fs:       fs,
		node:     n,
		name:     p,
		readable: readable,
		writable: writable,
		append:   flag&os.O_APPEND != 0,
	}
	if flag&os.O_TRUNC != 0 && writable {
		n.mu.Lock()
		err := n.truncate(fs, 0)
		n.mu.Unlock()
		if err != nil {
			_ = f.Close()
			return nil, pathErr(op, name, err)
		}
	}
	return f, nil
}

// Generate makes name a regular file of size bytes whose content is
// computed on demand by fill and never stored, like Create followed by
// writing the content: an existing file is truncated in place, the parent
// must exist. fill(p, off) must write the file's bytes [off, off+len(p))
// into p; it must be a pure function of its arguments, safe to call from
// several goroutines at once, and it is called with at most 256 KiB at a
// time. A terabyte file is listed, read and sent with constant memory.
//
// The file behaves like any other: writes store the chunks they touch
// (filled with the generated bytes they do not overwrite), Truncate cuts
// the generated content, and O_TRUNC or Remove drops it. The size may be
// over [Options.MaxFileSize], but no write may end past it. The size
// counts against [Options.Quota] like any file's.
func (fs *Fs) Generate(name string, size int64, fill func(p []byte, off int64)) error {
	if size < 0 || fill == nil {
		return pathErr("generate", name, syscall.EINVAL)
	}
	f, err := fs.openFile("generate", name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, defaultFileMode, true)
	if err != nil {
		return err
	}
	defer f.Close()
	n := f.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if got := fs.reserve(n, size); got < size {
		fs.unreserve(n, got)
		return pathErr("generate", name, ErrQuotaExceeded)
	}
	n.gen, n.genEnd = fill, size
	n.size.Store(size)
	n.touch()
	return nil
}

func (fs *Fs) Stat(name string) (os.FileInfo, error) {
	p := clean(name)
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookup(p)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return n.info(n.name), nil
}

// LstatIfPossible implements afero.Lstater. memfs has no symbolic links, so
// it is Stat and the boolean is always false.
func (fs *Fs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	fi, err := fs.Stat(name)
	return fi, false, err
}

// Chmod changes the permission bits (os.ModePerm, setuid, setgid, sticky)
// of the named file; the file type is kept.
func (fs *Fs) Chmod(name string, mode os.FileMode) error {
	n, err := fs.find("chmod", name)
	if err != nil {
		return err
	}
	for {
		old := n.mode.Load()
		nm := uint32(os.FileMode(old)&^chmodBits | mode&chmodBits)
		if n.mode.CompareAndSwap(old, nm) {
			return nil
		}
	}
}

// Chown records the owner of the named file. memfs does not enforce
// ownership; the values are not exposed through FileInfo.Sys.
func (fs *Fs) Chown(name string, uid, gid int) error {
	n, err := fs.find("chown", name)
	if err != nil {
		return err
	}
	n.uid.Store(int64(uid))
	n.gid.Store(int64(gid))
	return nil
}

// Chtimes changes the modification time of the named file. A zero mtime
// leaves it unchanged; access times are not tracked.
func (fs *Fs) Chtimes(name string, atime, mtime time.Time) error {
	n, err := fs.find("chtimes", name)
	if err != nil {
		return err
	}
	if !mtime.IsZero() {
		n.mtime.Store(mtime.UnixNano())
	}
	return nil
}
