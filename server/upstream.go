package server

import "strconv"

// upstreamVerbs are the commands ftpserverlib v0.32.3 knows (its
// commandsMap). The engine answers any other command itself, with the
// reply ftpserverlib gives it: ftpserverlib answers an unknown command
// without waiting for a transfer's goroutine to finish its last reply,
// a data race on its reply writer when a client sends one right after a
// transfer (jlaffaye/ftp's PRET, say).
var upstreamVerbs = map[string]bool{}

func init() {
	for _, v := range []string{"USER", "PASS", "ACCT", "ADAT", "AUTH", "PROT", "PBSZ", "CCC", "CONF", "ENC", "MIC",
		"CLNT", "FEAT", "SYST", "NOOP", "OPTS", "QUIT", "AVBL", "ABOR", "CSID", "HELP", "HOST", "LANG", "XRSQ",
		"XSEM", "XSEN", "SIZE", "DSIZ", "STAT", "MDTM", "MFMT", "MFF", "MFCT", "RETR", "STOR", "STOU", "STRU",
		"APPE", "DELE", "RNFR", "RNTO", "ALLO", "REST", "SITE", "HASH", "XCRC", "XSHA", "COMB", "THMB", "XRCP",
		"CWD", "PWD", "XCWD", "XPWD", "CDUP", "NLST", "LIST", "MLSD", "MLST", "MKD", "RMD", "RMDA", "XMKD",
		"XRMD", "SMNT", "XCUP", "TYPE", "MODE", "PASV", "EPSV", "LPSV", "SPSV", "PORT", "LRPT", "EPRT", "REIN"} {
		upstreamVerbs[v] = true
	}
}

// unknownCommand is ftpserverlib's reply to a command it does not know.
func unknownCommand(verb string) reply {
	return newReply(500, "Unknown command "+strconv.Quote(verb))
}
