package server

import (
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
		lr := newLineReader(bytes.NewReader(data), maxLine+2)
		for i := 0; i <= len(data); i++ {
			l := lr.readLine()
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
		var p replyParser
		// twice through one parser: the second time, a single-line reply
		// comes from the parser's cache of the last one
		for range 2 {
			var got []reply
			// in two writes, cut anywhere, as ftpserverlib's buffered writer may
			w := r.wire()
			cut := len(w) / 2
			got, err1 := p.feed(w[:cut], got)
			got, err2 := p.feed(w[cut:], got)
			if err1 != nil || err2 != nil || len(got) != 1 {
				t.Fatalf("reply %q does not parse back: %v %v, %d replies", w, err1, err2, len(got))
			}
			back := got[0]
			if back.code != code || back.text() != r.text() || len(back.lines) != len(r.lines) {
				t.Fatalf("round trip of %q: got %d %q", r.wire(), back.code, back.text())
			}
		}
	})
}

// FuzzUpstreamReply reads arbitrary bytes as replies: no panic, bounded.
func FuzzUpstreamReply(f *testing.F) {
	f.Add([]byte("220 hi\r\n211-a\r\n b\r\n211 End\r\n"))
	f.Add([]byte("211-never ends\r\n"))
	f.Add([]byte("99 x\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p replyParser
		for len(data) > 0 {
			n := min(len(data), 7)
			rs, _ := p.feed(data[:n], nil)
			for _, r := range rs {
				if len(r.lines) == 0 || len(r.lines) > maxReplyLines || r.code < 100 || r.code > 999 {
					t.Fatalf("bad reply %+v", r)
				}
			}
			data = data[n:]
		}
		if len(p.partial) > maxReplyLine || len(p.cur.lines) > maxReplyLines {
			t.Fatal("the parser holds more than its bounds")
		}
	})
}
