package admin

import (
	"io"
	"net/http"
	"time"
)

// A file's bytes may take longer than the HTTP server's read and write
// timeouts (the mockftpd command sets them so that a stalled client cannot
// hold a connection for ever). A file transfer keeps its connection as long
// as it moves: at least transferProgress bytes every transferWindow, about
// 2 KiB/s; a transfer slower than that is cut.
const (
	defaultTransferWindow = 30 * time.Second
	transferProgress      = 64 << 10
)

// progress moves a connection deadline ahead each time enough bytes have
// gone through. It does nothing where the ResponseWriter has no connection
// deadlines (httptest.ResponseRecorder).
type progress struct {
	set    func(time.Time) error
	window time.Duration
	moved  int64
}

// newProgress starts the window now with set, one of the deadline setters
// of an http.ResponseController; nil when deadlines are not supported.
func newProgress(set func(time.Time) error, window time.Duration) *progress {
	if set(time.Now().Add(window)) != nil {
		return nil
	}
	return &progress{set: set, window: window}
}

func (p *progress) add(n int) {
	if p == nil {
		return
	}
	if p.moved += int64(n); p.moved >= transferProgress {
		p.moved = 0
		_ = p.set(time.Now().Add(p.window))
	}
}

// progressReader is a request body whose read deadline follows progress.
// It keeps the body's error apart from the destination's.
type progressReader struct {
	r   io.Reader
	p   *progress
	err error
}

func (a *API) readProgress(w http.ResponseWriter, body io.Reader) *progressReader {
	rc := http.NewResponseController(w)
	return &progressReader{r: body, p: newProgress(rc.SetReadDeadline, a.transferWindow)}
}

func (b *progressReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.p.add(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// progressWriter is a response whose write deadline follows progress.
type progressWriter struct {
	w io.Writer
	p *progress
}

func (a *API) writeProgress(w http.ResponseWriter) io.Writer {
	rc := http.NewResponseController(w)
	return &progressWriter{w: w, p: newProgress(rc.SetWriteDeadline, a.transferWindow)}
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.p.add(n)
	return n, err
}
