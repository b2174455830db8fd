package main

// analysis is the part of the report that explains the figures; it is
// kept with the tool so that the report is regenerated whole. It states
// causes (from the profiles at the end of the report, the code, and the
// separate measurements it names), not this run's numbers: those are the
// tables above.
const analysis = "## Analysis\n\n" +
	"Reading the tables: the machine has 2 shared cores and, for most figures, the client\n" +
	"runs in the same process as the servers it measures (the memory figures, the process\n" +
	"start and the session bursts use a worker process per target), so every figure is\n" +
	"CPU-bound on both sides; run-to-run spread is 10-15 % (more for the session bursts and\n" +
	"the 1 KiB rates, see TIME_WAIT below). Only the ratios of one run are compared.\n\n" +

	"### What the engine costs per command\n\n" +
	"The engine has no goroutine of its own. The `net.Conn` that ftpserverlib reads and\n" +
	"writes for a session is the engine (`server/listener.go`, `upstreamConn`): when\n" +
	"ftpserverlib reads its next command, `(*session).upstreamRead` reads the client's next\n" +
	"line, asks the rules, answers a scripted command itself and returns the lines to\n" +
	"pass on; when ftpserverlib writes a reply, `(*session).upstreamWrite` relays (or\n" +
	"rewrites) it to the client before returning. FTP's ordering rules hold because that\n" +
	"Read waits while ftpserverlib still owes a reply (a transfer's, which ftpserverlib\n" +
	"answers from a goroutine of its own). A command therefore takes the same goroutine\n" +
	"path as in bare ftpserverlib; what the engine adds is the rule lookup\n" +
	"(`internal/rules`' index by verb and exact argument, read through an atomic pointer:\n" +
	"a command no rule names takes no lock), the journal entry, and parsing the reply (14\n" +
	"allocations per NOOP in `BenchmarkNOOP` with `-benchmem`, client included, against\n" +
	"the baseline's 11: the command, its journal entry and its codes). The session's state\n" +
	"is guarded by one mutex taken inside each function; a NOOP takes it three times, and\n" +
	"the journal's lock once: the entry goes in with its first reply, before the reply is\n" +
	"written, so that a test reading the journal as soon as its client has the answer\n" +
	"finds it.\n\n" +
	"The journal is a plain ring of entries (`journal/`), bounded in count and in bytes;\n" +
	"an update stores a new version of an entry rather than changing it, so a reader (the\n" +
	"admin API, `Entries`, a pending `Wait`) copies pointers under a short lock and reads\n" +
	"without it, and `Wait` looks only at what changed since it last looked. The entries\n" +
	"are ordinary heap objects that the garbage collector marks at each cycle: with\n" +
	"100,000 of them a command costs more than with an empty journal (the figure \"NOOP\n" +
	"round trip median, journal of 100,000 entries\" measures it, together with a pending\n" +
	"`Wait` woken by every change and an admin reader). An earlier version kept done\n" +
	"entries encoded in a byte arena the collector does not scan; it made reading the\n" +
	"journal expensive (74 ms under the journal's lock for 100,000 entries, and a `Wait`\n" +
	"decoded the whole journal at every change, which stalled sessions for tens of\n" +
	"milliseconds), so it went. New connections are accepted by ftpserverlib's own\n" +
	"`Accept` call on the engine's listener (`controlListener`), which starts the engine's\n" +
	"session in place; only a session that must wait first (an implicit TLS handshake, a\n" +
	"scripted greeting with a delay) is prepared on a goroutine.\n\n" +

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
	"About 93 % of the CPU of both is the kernel's copy (`Syscall6`). The limit reads every\n" +
	"byte into one cache-resident 1 MiB buffer and drops it; a server that keeps the file\n" +
	"must write 256 MiB of memory, and in this run that memory is fresh each time: the\n" +
	"targets are interleaved, so more than memfs's 250 ms release delay passes between two\n" +
	"mockftpd uploads, and memfs gives freed chunks back to the operating system (which the\n" +
	"memory-after-delete target requires). Fresh anonymous memory is expensive on this\n" +
	"machine, a Firecracker VM whose balloon driver reports free 2 MiB blocks to the host\n" +
	"(`page_reporting_order=9`): measured separately, filling fresh memory runs at about\n" +
	"1,800-2,000 MiB/s with 4 KiB pages and about 950 MiB/s with transparent huge pages,\n" +
	"22-51 % of the STOR samples in `perf` being the kernel zeroing pages. An allocator off\n" +
	"the Go heap with\n" +
	"`MADV_HUGEPAGE` and reference-counted blocks was built and measured: it doubled the\n" +
	"upload speed into recently freed memory but left this figure unchanged (median 0.62×\n" +
	"before and after over 6 runs each), so it was reverted (commit fa66d53) rather than\n" +
	"carry its crash risk. What would reach 0.75×: memory the host does not have to supply\n" +
	"again (bare metal, or a VM without free page reporting), or keeping freed chunks for\n" +
	"longer than the targets' interleaving (trading against the memory-after-delete\n" +
	"target). RETR sends from 256 MiB of memory against the limit's cache-resident buffer;\n" +
	"MemMapFs's STOR (the baseline) grows one slice by copying and peaks at 3-4× the file.\n\n" +

	"### Memory\n\n" +
	"memfs stores a file in 1 MiB chunks (peak ≈ file size), drops the chunks on delete and,\n" +
	"after 250 ms without activity, returns the memory to the OS, so the resident size goes\n" +
	"back to idle; MemMapFs leaves the garbage resident.\n\n" +
	"A held session costs ftpserverlib's own (its goroutine, 4 KiB reader and writer) plus\n" +
	"the engine's session state, a 128-byte client line buffer that grows only for long\n" +
	"lines, the scenario session and its journal entries; its logger is made only when it\n" +
	"logs.\n\n" +

	"### 10,000 rules\n\n" +
	"`internal/rules` indexes rules by verb and, within a verb, by exact argument\n" +
	"(`internal/rules/index.go`, `compile`/`candidates`), so a command is checked only against the\n" +
	"rules that could match it: those for its verb (or any verb) whose argument is a glob, a\n" +
	"regex or absent, and those whose exact argument is the command's. First-match order\n" +
	"and nth/times counting are those of a linear scan (a randomized test compares the two).\n\n" +

	"### LIST, NLST, MLSD of 1,000 files\n\n" +
	"ftpserverlib writes each entry of a listing with its own `fmt.Fprintf` on the data\n" +
	"connection (`dirTransferLIST`/`dirTransferNLST`/`writeMLSxEntry`): 1,000 `write` system\n" +
	"calls for the baseline, visible as `Syscall6` under those functions in its profile.\n" +
	"mockftpd's data connections of LIST, NLST and MLSD buffer those writes\n" +
	"(`server/faultconn.go`: a 64 KiB `bufio.Writer` when no fault shapes the writes, flushed\n" +
	"by ftpserverlib's `TransferClose` before the 226), so the listing leaves in a few large\n" +
	"writes, in passive and active mode alike (both reach ftpserverlib through its\n" +
	"passive-listener wrapper, `server/data.go`).\n\n" +

	"### 1 KiB STOR and RETR per second\n\n" +
	"A 1 KiB transfer is almost all fixed cost, and ftpserverlib does that work. Read in\n" +
	"ftpserverlib v0.32.3 and measured separately (`strace -f -c` over 2,000 transfers of\n" +
	"the server process alone, CPU profiles of the baseline):\n\n" +
	"- Each EPSV makes a new listener (`transfer_pasv.go`: `ListenTCP` on `:0`, then\n" +
	"  socket, bind, listen, setsockopt, getsockname, epoll registration) and each transfer\n" +
	"  closes it: the same system calls as the limit, which also listens per EPSV.\n" +
	"- Each transfer command runs on a new goroutine (`client_handler.go`, `TransferRelated`\n" +
	"  commands), which wakes an idle thread: 2.35 futex calls per transfer against the\n" +
	"  limit's 0.6-0.8.\n" +
	"- Each reply (229, 150, 226) is split with a new `bufio.Scanner` (`getMessageLines`,\n" +
	"  a 4 KiB buffer each) and written with `fmt.Fprintf` and a flush.\n" +
	"- Server CPU per transfer in a quiet network namespace: baseline 220-250 µs (user\n" +
	"  105-146), limit 150-160 µs (user 30-55); the baseline's profile: system calls 37 %,\n" +
	"  scheduler 19 %, GC 18 %, `writeMessage` 17 %, `ListenTCP` 9 %, closing the listener and\n" +
	"  the connection 9 %.\n\n" +
	"So the limit itself is only about 1.3-1.6× the baseline's rate, and mockftpd, which\n" +
	"lets ftpserverlib do the transfer and adds its own bookkeeping (the journal's transfer\n" +
	"record, fault wrappers that pass bytes through), sits at about the baseline: its\n" +
	"`memfs` files have `ReadFrom`/`WriteTo`, which spares the 32 KiB copy buffer MemMapFs\n" +
	"costs the baseline, and that pays for the engine. 1.5× the baseline cannot be reached\n" +
	"while ftpserverlib performs the transfer. What would: (1) ftpserverlib writing replies\n" +
	"without a `Scanner` per reply and running transfers without a goroutine each (an\n" +
	"upstream change); (2) persistent passive listeners instead of one per EPSV\n" +
	"(ftpserverlib's `PassiveTransferPortMultiplexing` with a cheap port getter, or a pool\n" +
	"behind `WrapPassiveListener`), about 20-30 µs per transfer, at the cost of ports\n" +
	"shared between sessions, which would break the engine's port-to-session binding that\n" +
	"data faults rely on; (3) the engine serving EPSV, STOR and RETR itself, which would\n" +
	"make it a second FTP implementation beside ftpserverlib.\n\n" +
	"TIME_WAIT: the server closes a RETR's data connection first, so its passive port stays\n" +
	"in TIME_WAIT for 60 s. After a few thousand downloads in a minute (this report makes\n" +
	"about 8,000, plus the session bursts), the kernel's search for a free port in\n" +
	"`bind(0)`, which every EPSV's new listener goes through, takes most of the server's CPU\n" +
	"(`perf`: `inet_csk_bind_conflict` and `inet_bind_conflict` at 65-75 %), for every\n" +
	"server on the host at once. The three targets are interleaved, so their ratio stays\n" +
	"meaningful, but the absolute 1 KiB rates of a full run are lower than those of a run\n" +
	"of that section alone (`-only small`).\n\n" +

	"### Sessions opened at once\n\n" +
	"Each session is a TCP connect, login, two transfers and QUIT. Each target serves the\n" +
	"bursts from a worker process of its own, a fresh one per burst after 100 sessions that\n" +
	"are not counted (enough to grow its heap and threads: with 20, the first burst of a\n" +
	"process still paid for that), and the order of the targets turns from round to round.\n" +
	"Measured in\n" +
	"the client's process instead, the servers shared its garbage collector with 200-500\n" +
	"client goroutines and the one measured first after a TIME_WAIT pause was favoured:\n" +
	"mockftpd's rate then moved between 0.78× and 1.20× the baseline's from run to run.\n" +
	"The rate is dominated by the kernel's connection handling and by the client, which\n" +
	"shares the two cores; the worker's CPU per session (user and system, from\n" +
	"`getrusage`) is the steadier figure of the server's own cost. mockftpd's was\n" +
	"0.95-1.12× the baseline's in the runs so far, the same within their spread: the\n" +
	"engine's per-command cost above times the ten or so commands of a session, its\n" +
	"journal entries and the transfer bookkeeping (the passive port's binding, the data\n" +
	"connection's wrapper; `BenchmarkSessions -benchmem` counts 366 allocations per session\n" +
	"against 287, client included), against `memfs`, which spares the baseline's 32 KiB\n" +
	"copy buffer per RETR\n" +
	"(MemMapFs has no `WriteTo`) and stores a session's 1 KiB with a third fewer bytes\n" +
	"allocated. The rates follow: mockftpd's is the baseline's within the run-to-run spread,\n" +
	"a little above in one run, a little below in the next. No burst had an error.\n\n" +

	"### Start-up\n\n" +
	"Embedded start-to-ready is the `server.Start` call (scenario validation and compile,\n" +
	"filesystem, listener, ftpserverlib) plus a login; the process figure is dominated by\n" +
	"exec and the Go runtime's start, the same for every binary.\n"
