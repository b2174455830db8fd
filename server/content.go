package server

import (
	"bytes"
	"io"
	"os"

	"github.com/mockftpd/mockftpd/scenario"
)

// contentSource gives a transfer its bytes instead of the real server: a
// download or a listing whose transfer has one carries what the source
// gives, and ftpserverlib's own bytes are dropped (faultConn). The fault's
// shaping (after, rate, chunk, corrupt, delays) applies to them as to any.
// A scripted data.content is one source; a server dialect that formats
// its own listings is another.
type contentSource interface {
	// from returns the transfer's bytes from offset (a download's REST
	// offset; 0 for a listing) on.
	from(offset int64) io.Reader
}

// fixedContent is a source of fixed bytes: a step's data.content or
// data.base64.
type fixedContent []byte

func (b fixedContent) from(offset int64) io.Reader {
	return bytes.NewReader(b[min(max(offset, 0), int64(len(b))):])
}

// faultSource is the source a data fault scripts, or nil.
func faultSource(f *scenario.DataFault) contentSource {
	if b, ok := f.Bytes(); ok {
		return fixedContent(b)
	}
	return nil
}

// standIn is the file ftpserverlib reads for a download whose transfer
// has a source: empty, so that what ftpserverlib sends is nothing and the
// real file (which need not exist) is never read. It takes any offset.
type standIn struct{ pos int64 }

func (f *standIn) Read([]byte) (int, error)  { return 0, io.EOF }
func (f *standIn) Write([]byte) (int, error) { return 0, os.ErrPermission }
func (f *standIn) Close() error              { return nil }

func (f *standIn) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		f.pos = offset
	case io.SeekCurrent:
		f.pos += offset
	default:
		f.pos = offset // the end of an empty file
	}
	return f.pos, nil
}
