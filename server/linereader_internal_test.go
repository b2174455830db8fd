package server

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// scriptedReader returns its parts one Read at a time; an error part is
// returned as the error of that Read.
type scriptedReader struct{ parts []any }

func (r *scriptedReader) Read(p []byte) (int, error) {
	if len(r.parts) == 0 {
		return 0, io.EOF
	}
	part := r.parts[0]
	r.parts = r.parts[1:]
	if err, ok := part.(error); ok {
		return 0, err
	}
	return copy(p, part.(string)), nil
}

// TestLineReaderKeepsPartialLinesAcrossTimeouts: a read deadline (the idle
// check, a shutdown's wake-up) interrupts a line half-way; nothing read is
// lost, and the line comes whole on the next call.
func TestLineReaderKeepsPartialLinesAcrossTimeouts(t *testing.T) {
	lr := newLineReader(&scriptedReader{parts: []any{
		"NOOP\r\nST", os.ErrDeadlineExceeded, "OR /a", os.ErrDeadlineExceeded, ".txt\r\nPWD\r\n",
	}}, 64)
	want := []string{"NOOP", "<timeout>", "<timeout>", "STOR /a.txt", "PWD", "<eof>"}
	for i, w := range want {
		l := lr.readLine()
		got := l.text
		switch {
		case errors.Is(l.err, os.ErrDeadlineExceeded):
			got = "<timeout>"
		case errors.Is(l.err, io.EOF):
			got = "<eof>"
		}
		if got != w {
			t.Fatalf("line %d: %q, want %q", i, got, w)
		}
	}
}

// TestLineReaderGrowsAndBoundsLines: the buffer starts small and grows to
// the limit; a longer line is reported once, and the next line is read.
func TestLineReaderGrowsAndBoundsLines(t *testing.T) {
	long := "STOR /" + strings.Repeat("x", 500)
	tooLong := "STOR /" + strings.Repeat("y", 2000)
	lr := newLineReader(strings.NewReader(long+"\r\n"+tooLong+"\r\nNOOP\r\n"), 1024)
	if l := lr.readLine(); l.text != long {
		t.Fatalf("a 506-byte line: %+v", l)
	}
	if l := lr.readLine(); !l.tooLong {
		t.Fatalf("a 2,006-byte line: %+v, want too long", l)
	}
	if l := lr.readLine(); l.text != "NOOP" {
		t.Fatalf("after the long line: %+v", l)
	}
	if len(lr.buf) > 1024 {
		t.Fatalf("buffer grew to %d, beyond the limit", len(lr.buf))
	}
}

// TestLineReaderFillKeepsLines: fill reads ahead without consuming lines and
// keeps the end of the stream for after them.
func TestLineReaderFillKeepsLines(t *testing.T) {
	lr := newLineReader(&scriptedReader{parts: []any{"PWD\r\nNO", "OP\r\n"}}, 64)
	if err := lr.fill(); !errors.Is(err, io.EOF) {
		t.Fatalf("fill: %v, want EOF", err)
	}
	for _, w := range []string{"PWD", "NOOP"} {
		if l := lr.readLine(); l.text != w || l.err != nil {
			t.Fatalf("after fill: %+v, want %q", l, w)
		}
	}
	if l := lr.readLine(); !errors.Is(l.err, io.EOF) {
		t.Fatalf("end: %+v, want EOF", l)
	}
}
