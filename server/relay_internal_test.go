package server

import (
	"testing"

	"github.com/mockftpd/mockftpd/scenario"
)

// TestScriptedFinal: a step's final replies replace the server's, with
// {address} filled from a 227 or 229; when the server advertises no
// address (it could not listen), its own reply stands.
func TestScriptedFinal(t *testing.T) {
	final := []scenario.Reply{{Code: 227, Text: "Entering Passive Mode ({address})."}}
	for _, tc := range []struct {
		final []scenario.Reply
		real  reply
		want  string
	}{
		{final, newReply(227, "Entering Passive Mode (127,0,0,1,200,10)"), "227 Entering Passive Mode (127,0,0,1,200,10).\r\n"},
		{[]scenario.Reply{{Raw: "229 ok ({address})\r\n"}}, newReply(229, "Entering Extended Passive Mode (|||51210|)"), "229 ok (|||51210|)\r\n"},
		{final, newReply(425, "Can't open data connection"), "425 Can't open data connection\r\n"},
		{final, newReply(227, "no parentheses"), "227 no parentheses\r\n"},
		{[]scenario.Reply{{Code: 250, Text: "a"}, {Code: 421, Text: "b"}}, newReply(250, "x"), "250 a\r\n421 b\r\n"},
	} {
		var got []byte
		for _, r := range scriptedFinal(tc.final, tc.real) {
			got = r.appendWire(got)
		}
		if string(got) != tc.want {
			t.Errorf("%+v for %q: %q, want %q", tc.final, tc.real.text(), got, tc.want)
		}
	}
}
