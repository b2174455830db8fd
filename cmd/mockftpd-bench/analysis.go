package main

// analysis is the part of the report that explains the figures; it is
// kept with the tool so that the report is regenerated whole. It states
// causes (from the profiles at the end of the report and the code), not
// numbers: the numbers are the tables above.
const analysis = "## Analysis\n\n" +
	"Reading the tables: the machine has 2 shared cores and the client runs in the same\n" +
	"process as the servers it measures, so every figure is CPU-bound on both sides;\n" +
	"run-to-run spread is 10-15 % (more for the session bursts). Only the ratios of one\n" +
	"run are compared.\n\n" +

	"### STOR/RETR 256 MiB (memfs is the default filesystem)\n\n" +
	"`server/memfs_default.go` makes `memfs.New()` the default. The profiles of\n" +
	"`BenchmarkStor256MiB/mockftpd` and `BenchmarkRetr256MiB/mockftpd` show the fast paths are\n" +
	"reached through the server's wrappers, with no copy in between:\n\n" +
	"- STOR: ftpserverlib `io.Copy(file, conn)` → `(*server.uploadFile).ReadFrom` →\n" +
	"  `(*memfs.File).ReadFrom` → `(*server.faultConn).Read` → socket read straight into chunk\n" +
	"  memory (`faultConn` has no `WriteTo`, so `io.Copy` falls through to the file's\n" +
	"  `ReadFrom`, which `uploadFile` forwards).\n" +
	"- RETR: ftpserverlib `io.Copy(conn, file)` → `(*memfs.File).WriteTo` →\n" +
	"  `(*server.faultConn).Write` with whole 1 MiB chunks (reads are not wrapped: `sessionFs`\n" +
	"  returns the memfs file itself for O_RDONLY).\n\n" +
	"About 93 % of the CPU of both is the kernel's copy (`Syscall6`). What remains between\n" +
	"STOR and the limit is memory bandwidth: the limit reads every byte into the same\n" +
	"cache-resident 1 MiB buffer and drops it, while a server that keeps the file writes\n" +
	"256 MiB of DRAM (fresh chunks, or recycled ones after a delete). RETR sends from 256 MiB\n" +
	"of DRAM against the limit's cache-resident buffer. MemMapFs's STOR (the baseline) grows\n" +
	"one slice by copying and peaks at 3-4× the file.\n\n" +

	"### Memory\n\n" +
	"memfs stores a file in 1 MiB chunks (peak ≈ file size), drops the chunks on delete and,\n" +
	"after 250 ms without activity, returns the memory to the OS, so the resident size goes\n" +
	"back to idle; MemMapFs leaves the garbage resident.\n\n" +
	"Per held session mockftpd costs more than bare ftpserverlib because each session has,\n" +
	"besides ftpserverlib's own goroutine and 4 KiB reader and writer: three engine goroutines\n" +
	"(session loop, client line reader, upstream reply reader; a stack each), a 4 KiB client\n" +
	"line reader (the 4,096-byte line limit needs it), the buffered `lines` and `replies`\n" +
	"channels (8 and 4 entries, made in `server/server.go`), a per-session `slog` logger with\n" +
	"attributes, the scenario session and four journal entries (connect, USER, PASS, TYPE).\n" +
	"Reaching 1.2× the baseline needs fewer goroutines per session (see the round trip\n" +
	"below: the same change) and the client line reader's buffer made on the first command\n" +
	"rather than at connect.\n\n" +

	"### NOOP round trip\n\n" +
	"Bare ftpserverlib handles a command on the goroutine that read it. mockftpd's engine\n" +
	"hands every command across goroutines: client line reader → session loop (channel) →\n" +
	"ftpserverlib (control pipe) → upstream reply reader (control pipe) → session loop\n" +
	"(channel) → client. The NOOP profiles show the difference is scheduling\n" +
	"(`runtime.findRunnable`, `runtime.schedule`, futex wake-ups) and the garbage of the\n" +
	"per-command journal entry and reply strings, not ftpserverlib: ftpserverlib's own cost\n" +
	"per command (`handleCommand`, `writeMessage`, which runs a `bufio.Scanner` per reply) is the\n" +
	"same in both profiles. This branch replaced `net.Pipe` (whose Write waits until the\n" +
	"reader has copied, two hand-offs per write, and whose `SetDeadline`, called by\n" +
	"ftpserverlib before every command, allocates a timer) with a buffered control pipe\n" +
	"(`server/pipe.go`), and made journal notifications free when nobody waits. What\n" +
	"would bring the round trip to ≤ 1.10× the baseline is removing the hand-offs: run the\n" +
	"session loop's decision in the goroutine that reads the client (no line-reader\n" +
	"goroutine), and read ftpserverlib's reply synchronously in that goroutine while no\n" +
	"transfer is pending (no reply-reader goroutine outside transfers). That is a\n" +
	"restructuring of `server/session.go`'s `run` loop together with `gateReply`\n" +
	"(`server/data.go`), which can block on the active-mode relay and so must keep a\n" +
	"goroutine of its own during transfers.\n\n" +

	"### 10,000 rules\n\n" +
	"Rules that name other verbs cost nothing: `scenario` indexes rules by verb. Rules that\n" +
	"name the command's own verb are each checked (`(*scenario.Session).Match` walks the\n" +
	"verb's candidate list under the runtime's mutex and runs each rule's argument matcher),\n" +
	"so 770 NOOP rules with other arguments cost tens of microseconds per NOOP. The fix is in\n" +
	"`scenario/match.go`: in `compile`, index the rules whose argument is exact\n" +
	"(`argMatcher.hasExact`) per verb in a `map[arg][]*crule`, and have `Match` merge, by rule\n" +
	"position, the rules for the request's exact argument with the verb's glob/regex/any-argument\n" +
	"rules; first-match order and nth/times counting stay as they are.\n\n" +

	"### LIST, NLST, MLSD of 1,000 files\n\n" +
	"ftpserverlib writes each entry of a listing with its own `fmt.Fprintf` on the data\n" +
	"connection (`dirTransferLIST`/`dirTransferNLST`/`writeMLSxEntry`): 1,000 `write` system\n" +
	"calls for the baseline, visible as `Syscall6` under those functions in its profile.\n" +
	"mockftpd's passive data connections of LIST, NLST and MLSD buffer those writes\n" +
	"(`server/faultconn.go`: a 64 KiB `bufio.Writer` when no fault shapes the writes, flushed\n" +
	"by ftpserverlib's `TransferClose` before the 226), so the listing leaves in a few large\n" +
	"writes; in active mode the engine's relay already copies in large writes.\n\n" +

	"### 1 KiB STOR and RETR per second\n\n" +
	"A 1 KiB transfer is almost all fixed cost: EPSV (ftpserverlib makes a new listener on\n" +
	"all interfaces: socket, bind, listen), the client's connect and the server's accept,\n" +
	"the command and its 150, the data, two closes, and the 226: three control round trips,\n" +
	"one connection set-up and tear-down, and about 15 system calls on each side. The\n" +
	"profiles of `BenchmarkSmallStor` show system calls at over 60 % of the CPU for both\n" +
	"servers (dial, listen, accept, close, the control writes), `TransferClose` and the\n" +
	"reply formatting next. The limit, which does nothing but those system calls, is itself\n" +
	"at most about 1.5-1.7× the baseline's rate on this machine (its ×baseline is the\n" +
	"inverse of the ×limit column's ratio to mockftpd's); so 1.5× the baseline cannot\n" +
	"be reached by mockftpd (which adds the engine's relay for three replies) without\n" +
	"changing the protocol work itself. What would get closest, without forking\n" +
	"ftpserverlib: the round-trip change above (three relayed replies per transfer), and\n" +
	"ftpserverlib's `PassiveTransferPortMultiplexing` setting with a port range, which\n" +
	"reuses listeners across transfers instead of making one per EPSV.\n\n" +

	"### Sessions opened at once\n\n" +
	"Each session is a TCP connect, login, two transfers and QUIT; bursts of 200 and 500 are\n" +
	"dominated by the kernel's connection handling and by the two cores being shared between\n" +
	"the burst's 200-500 client goroutines and the servers. No burst had an error. The\n" +
	"engine's cost per session is its extra goroutines and hand-offs (see above).\n\n" +

	"### Start-up\n\n" +
	"Embedded start-to-ready is the `server.Start` call (scenario validation and compile,\n" +
	"filesystem, listener, ftpserverlib) plus a login; the process figure is dominated by\n" +
	"exec and the Go runtime's start, the same for every binary.\n"
