package server

import (
	"fmt"
	"strings"
)

// Replies of ftpserverlib the engine puts right, so that clients read
// them as they read other servers'.

// cmdMKD makes MKD's 257 reply start with the quoted path, as RFC 959
// (4.2, 257 "PATHNAME" created) has it and clients read it (Python's
// ftplib.mkd returns the quoted path at the start of the reply):
// ftpserverlib says 257 Created dir "/x".
func (s *session) cmdMKD(cmd *command) {
	cmd.final = func(r reply) reply {
		if r.code != 257 {
			return r
		}
		if p, ok := strings.CutPrefix(r.text(), "Created dir "); ok && strings.HasPrefix(p, `"`) {
			return newReply(257, p+" created")
		}
		return r
	}
	s.forward(cmd, cmd.line())
}

// passiveExhausted says which range ran out when ftpserverlib could not
// listen for a passive connection: its 421 names no port.
func (s *session) passiveExhausted(r reply) reply {
	const prefix = "Could not listen for passive connection"
	pr := s.srv.cfg.PassivePorts
	if r.code != 421 || !strings.HasPrefix(r.text(), prefix) || pr.Start == 0 {
		return r
	}
	return newReply(421, fmt.Sprintf("%s: every port of the passive range %d-%d (%d ports, -passive-ports) is in use; retry once a transfer has ended",
		prefix, pr.Start, pr.End, pr.End-pr.Start+1))
}
