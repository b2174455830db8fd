package server

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// faultConn is a data connection as the server side sees it: it counts the
// bytes each way for the journal and carries out the transfer's scripted
// fault (cut, reset, stall, throttle, chunks, corruption, delayed data) on
// the direction the transfer's data flows in.
type faultConn struct {
	net.Conn
	raw       net.Conn // the TCP connection under TLS, if any
	tr        *transfer
	f         *scenario.DataFault // nil: count only
	after     int64               // the fault's after, when it cuts (0: it does not)
	src       io.Reader           // the transfer's bytes from its source, if any: what ftpserverlib writes is dropped
	srcTaken  atomic.Bool         // a goroutine sends (or sent) src
	seed      uint64
	timeout   time.Duration // bounds a TLS handshake at close
	closed    chan struct{}
	closeOnce sync.Once
	cut       atomic.Bool   // a fault ended the connection: it closes as it is
	rd, wr    flow          // state per direction: Read is client to server, Write server to client
	bw        *bufio.Writer // buffers the many small writes of a listing
	probe     [1]byte
	// busy counts the reads and writes under way: Close waits for them to
	// count their bytes and note a fault's cut, so that the final reply a
	// Close precedes (ABOR's 426) finds the transfer's books complete.
	busy atomic.Int32
}

// newFaultConn wraps a transfer's data connection c (raw under TLS).
func newFaultConn(c, raw net.Conn, tr *transfer, seed uint64, timeout time.Duration) *faultConn {
	fc := &faultConn{Conn: c, raw: raw, tr: tr, seed: seed, timeout: min(timeout, 10*time.Second), closed: make(chan struct{})}
	if tr != nil && tr.fault != nil {
		fc.f = tr.fault
		fc.after, _ = fc.f.Cut()
	}
	if tr != nil && tr.source != nil && !tr.upload {
		fc.src = tr.source.from(tr.offset.Load())
		return fc
	}
	if tr != nil && isListing(tr.cmd.verb) && !fc.shaped(false) {
		// ftpserverlib writes a listing one line per write: buffer them
		// (it flushes before closing, see its TransferClose)
		fc.bw = bufio.NewWriterSize(sentCounter{fc}, listingBuffer)
	}
	return fc
}

// flow is the fault's state for one direction of a data connection; only
// one goroutine reads and one writes a connection at a time.
type flow struct {
	moved     int64 // bytes moved so far, for After
	started   bool
	paceStart time.Time
	paced     int64 // bytes moved since paceStart, for Rate
	chunkLeft int64 // bytes left in the current chunk
	pos       int64 // stream position, for Corrupt
	buf       []byte
}

// listingBuffer is the write buffer of a listing's data connection.
const listingBuffer = 64 << 10

func isListing(verb string) bool { return verb == "LIST" || verb == "NLST" || verb == "MLSD" }

// sentCounter writes to a faultConn's connection and counts what was sent.
type sentCounter struct{ c *faultConn }

func (w sentCounter) Write(p []byte) (int, error) {
	n, err := w.c.Conn.Write(p)
	w.c.count(n, false)
	return n, err
}

// Flush sends what a buffered listing holds; ftpserverlib calls it before
// it closes the data connection.
func (c *faultConn) Flush() error {
	if c.src != nil {
		return c.sendSource()
	}
	if c.bw == nil {
		return nil
	}
	return c.bw.Flush()
}

// sendSource sends the transfer's bytes from its source, once: at
// ftpserverlib's first write (whose bytes it replaces), or when it
// flushes or closes the connection having written nothing (an empty
// listing).
func (c *faultConn) sendSource() error {
	if !c.srcTaken.CompareAndSwap(false, true) {
		return nil
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := c.src.Read(buf)
		if n > 0 {
			if _, werr := c.write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Close ends the data connection. A TLS connection first completes its
// handshake, when no byte moved yet (an empty listing, a zero-byte file),
// and ends with close_notify: OpenSSL clients take a TLS data connection
// that ends otherwise for a truncation.
func (c *faultConn) Close() error {
	if c.src != nil && !c.cut.Load() {
		_ = c.sendSource()
	}
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		if tc, ok := c.Conn.(*tls.Conn); ok && !c.cut.Load() && !tc.ConnectionState().HandshakeComplete {
			_ = c.raw.SetDeadline(time.Now().Add(c.timeout))
			_ = tc.Handshake()
		}
		err = c.Conn.Close()
	})
	c.settle()
	return err
}

// settle waits, at most a second, until no read or write is under way on
// c. Once c is closed they return at once; what is left is their
// accounting.
func (c *faultConn) settle() {
	for i := 0; i < 1000 && c.busy.Load() > 0; i++ {
		time.Sleep(time.Millisecond)
	}
}

// abandon closes the connection at once, without TLS's courtesies (ABOR,
// the session's end).
func (c *faultConn) abandon() {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.raw.Close()
	})
}

// shaped reports whether the fault applies to reads (true) or writes (false).
func (c *faultConn) shaped(read bool) bool {
	return c.f != nil && c.tr.upload == read
}

// allow waits as the fault says before up to n bytes move, and returns how
// many may move now (at least 1). The caller checks After first.
func (c *faultConn) allow(fl *flow, n int) (int, error) {
	f := c.f
	if c.after > 0 {
		n = int(min(int64(n), c.after-fl.moved))
	}
	if !fl.started {
		fl.started = true
		if d := c.tr.sess.srv.rt.Delay(f.DelayData); d > 0 {
			if err := c.wait(d); err != nil {
				return 0, err
			}
		}
		fl.paceStart = time.Now()
		fl.chunkLeft = f.Chunk
	}
	if f.Chunk > 0 {
		if fl.chunkLeft <= 0 {
			if f.ChunkDelay > 0 {
				if err := c.wait(f.ChunkDelay); err != nil {
					return 0, err
				}
			}
			fl.chunkLeft = f.Chunk
			fl.paceStart, fl.paced = time.Now(), 0 // the pause is not owed to the rate
		}
		n = int(min(int64(n), fl.chunkLeft))
	}
	if f.Rate > 0 {
		// move slices of 1/20 s worth, each when the bytes before it are due
		n = int(min(int64(n), max(f.Rate/20, 1)))
		due := fl.paceStart.Add(time.Duration(float64(fl.paced) / float64(f.Rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			if err := c.wait(d); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// moved books n bytes moved in direction fl.
func (c *faultConn) moved(fl *flow, n int) {
	fl.moved += int64(n)
	fl.paced += int64(n)
	fl.chunkLeft -= int64(n)
}

func (c *faultConn) wait(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.closed:
		return net.ErrClosed
	case <-c.tr.stop: // ABOR, which ftpserverlib may not get to while it flushes
		return net.ErrClosed
	case <-c.tr.done:
		return net.ErrClosed
	}
}

// cutNow ends the transfer the way the fault says.
func (c *faultConn) cutNow() error {
	c.tr.note(faultEnding(c.f.End))
	c.cut.Store(true)
	switch c.f.End {
	case scenario.EndReset:
		// what was written reaches the client before the RST, which would drop it
		waitSent(c.raw, time.Second)
		resetConn(c.raw)
	case scenario.EndStall:
		select {
		case <-c.closed:
		case <-c.tr.stop:
		case <-c.tr.done:
		case <-c.tr.sess.done:
		}
	default:
		_ = c.raw.Close()
	}
	return errCut
}

// waitSent waits, at most limit, until the peer has acknowledged all that
// was written on c (where the system tells; elsewhere it returns at once).
func waitSent(c net.Conn, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if n, ok := unsentBytes(c); !ok || n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (c *faultConn) Write(p []byte) (int, error) {
	if c.src != nil {
		// the transfer's bytes come from its source, not ftpserverlib
		if err := c.sendSource(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if c.bw != nil {
		return c.bw.Write(p)
	}
	return c.write(p)
}

// write sends p from the server to the client, shaped by the fault.
func (c *faultConn) write(p []byte) (int, error) {
	c.busy.Add(1)
	defer c.busy.Add(-1)
	if !c.shaped(false) || len(p) == 0 {
		n, err := c.Conn.Write(p)
		c.count(n, false)
		return n, err
	}
	fl := &c.wr
	written := 0
	for len(p) > 0 {
		if c.after > 0 && fl.moved >= c.after {
			return written, c.cutNow()
		}
		n, err := c.allow(fl, len(p))
		if err != nil {
			return written, err
		}
		chunk := p[:n]
		if c.f.Corrupt > 0 {
			// never in place: p may be the filesystem's own memory
			fl.buf = append(fl.buf[:0], chunk...)
			c.corrupt(fl, fl.buf)
			chunk = fl.buf
		}
		w, err := c.Conn.Write(chunk)
		c.moved(fl, w)
		c.count(w, false)
		written += w
		if c.after > 0 && fl.moved >= c.after {
			// the cut is due from here: an ABOR that comes before the
			// next write finds it already decided
			c.tr.note(faultEnding(c.f.End))
		}
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (c *faultConn) Read(p []byte) (int, error) {
	c.busy.Add(1)
	defer c.busy.Add(-1)
	if !c.shaped(true) || len(p) == 0 {
		n, err := c.Conn.Read(p)
		c.count(n, true)
		return n, err
	}
	fl := &c.rd
	if c.after > 0 && fl.moved >= c.after {
		// the cut is due when a byte beyond After arrives; an upload of
		// exactly After bytes ends cleanly
		if _, err := io.ReadFull(c.Conn, c.probe[:]); err != nil {
			return 0, err
		}
		return 0, c.cutNow()
	}
	n, err := c.allow(fl, len(p))
	if err != nil {
		return 0, err
	}
	r, err := c.Conn.Read(p[:n])
	if c.f.Corrupt > 0 {
		c.corrupt(fl, p[:r])
	}
	c.moved(fl, r)
	c.count(r, true)
	return r, err
}

func (c *faultConn) count(n int, in bool) {
	if n <= 0 || c.tr == nil {
		return
	}
	if in {
		c.tr.bytesIn.Add(int64(n))
	} else {
		c.tr.bytesOut.Add(int64(n))
	}
}

// corrupt flips bytes of b in place: about one in every f.Corrupt, chosen
// by a hash of the seed and the stream position, so runs repeat and the
// same content is corrupted the same way whichever the direction or mode.
func (c *faultConn) corrupt(fl *flow, b []byte) {
	every := uint64(c.f.Corrupt)
	for i := range b {
		h := splitmix(c.seed ^ uint64(fl.pos+int64(i))*0x9e3779b97f4a7c15)
		if h%every == 0 {
			b[i] ^= byte(h>>32) | 1
		}
	}
	fl.pos += int64(len(b))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// faultEnding is how a fault that cuts a transfer ends it in the journal.
func faultEnding(e scenario.DataEnd) string {
	switch e {
	case scenario.EndReset:
		return endReset
	case scenario.EndStall:
		return endStalled
	}
	return endCut
}
