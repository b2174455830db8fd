package server

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzControlLine feeds arbitrary client bytes to the line reader: every
// line it yields is bounded, has no line end and no NUL, and reading stops.
// maxLine is the default line limit (Config.MaxLineLength).
const maxLine = 4096

func FuzzControlLine(f *testing.F) {
	for _, seed := range []string{
		"USER anonymous\r\nPASS x\r\n",
		"NOOP\n\n\r\n",
		"\xff\xf4\xff\xf2ABOR\r\n",
		"\xff\xff\xfb\x01\xfe\r\n",
		"RETR a\x00b\r\n",
		strings.Repeat("A", 5000) + "\r\nNOOP\r\n",
		"MKD /caf\xc3\x28\r\n",
		"\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), maxLine+2)
		for i := 0; i <= len(data); i++ {
			l := readClientLine(br)
			if l.err != nil {
				return
			}
			if len(l.text) > maxLine+2 || strings.ContainsAny(l.text, "\n\x00") || strings.HasSuffix(l.text, "\r") {
				t.Fatalf("bad line %q", l.text)
			}
			verb, _ := splitCommand(l.text)
			if verb != strings.ToUpper(verb) {
				t.Fatalf("verb %q not upper-case", verb)
			}
		}
		t.Fatal("the reader did not stop")
	})
}

// FuzzReplyRoundTrip formats a reply and reads it back as a client would.
func FuzzReplyRoundTrip(f *testing.F) {
	f.Add(452, "Insufficient storage space")
	f.Add(211, "Features:\n UTF8\nEnd")
	f.Add(530, "")
	f.Add(150, "line\r\nwith CRLF\n")
	f.Add(226, "452 looks like a code\n226 and another")
	f.Fuzz(func(t *testing.T, code int, text string) {
		code = 100 + (code%600+600)%600
		if strings.ContainsAny(text, "\r") {
			text = strings.ReplaceAll(text, "\r", "")
		}
		r := newReply(code, text)
		back, err := readReply(bufio.NewReader(bytes.NewReader(r.wire())))
		if err != nil {
			t.Fatalf("reply %q does not parse back: %v", r.wire(), err)
		}
		if back.code != code || back.text() != r.text() || len(back.lines) != len(r.lines) {
			t.Fatalf("round trip of %q: got %d %q", r.wire(), back.code, back.text())
		}
	})
}

// FuzzUpstreamReply reads arbitrary bytes as replies: no panic, bounded.
func FuzzUpstreamReply(f *testing.F) {
	f.Add([]byte("220 hi\r\n211-a\r\n b\r\n211 End\r\n"))
	f.Add([]byte("211-never ends\r\n"))
	f.Add([]byte("99 x\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		for i := 0; i <= len(data); i++ {
			if _, err := readReply(br); err != nil {
				return
			}
		}
		t.Fatal("the reply reader did not stop")
	})
}
