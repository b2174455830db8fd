package server

import "github.com/mockftpd/mockftpd/scenario"

// Servers that ignore TYPE (settings.ascii: ignore). ftpserverlib follows
// RFC 959 in TYPE A: it converts line ends and refuses SIZE and REST. A
// scenario that mocks a server moving bytes as stored (vsftpd's defaults,
// most embedded servers) has the engine keep ftpserverlib in binary mode
// for every command whose answer depends on the type, whatever the client
// said: the client's TYPE A is still answered as ftpserverlib answers it.

// typeDependent lists the commands ftpserverlib answers differently in
// TYPE A.
var typeDependent = map[string]bool{"SIZE": true, "REST": true, "RETR": true, "STOR": true, "APPE": true, "STOU": true}

// storedBytesLocked puts ftpserverlib in binary mode (an internal TYPE I)
// before cmd goes to it, when the scenario ignores TYPE and cmd's answer
// depends on the type.
func (s *session) storedBytesLocked(cmd *command) {
	if cmd.internal || !typeDependent[cmd.verb] || s.srv.rt.Scenario().Settings.ASCII != scenario.ASCIIIgnore {
		return
	}
	s.pending = append(s.pending, &command{verb: "TYPE", internal: true})
	s.upq = append(s.upq, "TYPE I\r\n"...)
}
