package dialectprobe

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is an entry of the tree the script expects in Target.Dir (or, with
// a leading "/", at the login root).
type File struct {
	Path    string
	Content string
	Dir     bool
	Mode    os.FileMode // permission bits; 0: 0666 for a file, 0777 for a folder
	// NoAccess makes the entry's mode 000: no one but root may read it.
	NoAccess bool
	Size     int64  // a sparse file of this size instead of Content
	Link     string // a symbolic link to this target instead
	// Age is how long before the script runs the entry was modified
	// (negative: in the future); zero keeps FixedTime.
	Age time.Duration
}

// FixedTime is the modification time of the tree's entries without an Age.
var FixedTime = time.Date(2023, 3, 4, 5, 6, 7, 0, time.UTC)

// Tree is what the script expects to find: each kind of entry the
// listings of servers write differently (old, recent and future dates,
// a name with spaces, a hidden file, a large size, a directory, a link,
// entries the server may not read).
var Tree = []File{
	{Path: "a.txt", Content: "hello\n"},
	{Path: "crlf.txt", Content: "one\ntwo\nthree\n"},
	{Path: "with space.txt", Content: "spaced\n"},
	{Path: ".hidden", Content: "h\n"},
	{Path: "recent.txt", Content: "recent\n", Age: 2 * time.Hour},
	{Path: "future.txt", Content: "future\n", Age: -40 * 24 * time.Hour},
	{Path: "big.bin", Size: 5 << 30},
	{Path: "secret.txt", Content: "secret\n", NoAccess: true},
	{Path: "sub", Dir: true},
	{Path: "sub/b.txt", Content: "in a subfolder\n"},
	{Path: "locked", Dir: true, Mode: 0o700},
	{Path: "link", Link: "a.txt"},
	{Path: "/top.txt", Content: "top\n"},
}

// Cmd is a command step probing key.
func Cmd(line, key string) Step { return Step{Line: line, Key: key} }

// Xfer is a transfer step probing key.
func Xfer(line, key string) Step { return Step{Line: line, Key: key, Data: true} }

// Put is an upload step probing key.
func Put(line, key, data string) Step {
	return Step{Line: line, Key: key, Data: true, Upload: []byte(data)}
}

// Script is the probe every dialect is held to: a session before and
// around the login, the main session (every command's success and
// failure), and the FTPS sessions when the target has TLS.
var Script = []Session{
	{Name: "login", Steps: []Step{
		Cmd("SYST", "SYST not-logged-in"),
		Cmd("FEAT", "FEAT not-logged-in"),
		Cmd("PWD", "PWD not-logged-in"),
		Cmd("PASS {password}", "PASS bad-sequence"),
		Cmd("USER {baduser}", "USER ok"),
		Cmd("PASS {badpassword}", "PASS bad-login"),
		Cmd("QUIT", "QUIT ok"),
	}},
	{Name: "main", Steps: []Step{
		Cmd("USER {user}", "USER ok"),
		Cmd("PASS {password}", "PASS ok"),
		Cmd("SYST", "SYST ok"),
		Cmd("FEAT", "FEAT ok"),
		Cmd("HELP", "HELP ok"),
		Cmd("STAT", "STAT ok"),
		Cmd("NOOP", "NOOP ok"),
		Cmd("PWD", "PWD ok"),
		Cmd("CWD {dir}", "CWD ok"),
		Cmd("CWD nosuch", "CWD not-found"),
		Cmd("CWD a.txt", "CWD not-dir"),
		Cmd("CWD locked", "CWD permission"),
		Cmd("CDUP", "CDUP ok"),
		Cmd("CWD {dir}", ""),
		Cmd("PWD", "PWD ok"),
		Cmd("TYPE A", "TYPE A"),
		Cmd("TYPE X", "TYPE bad-arg"),
		Cmd("TYPE I", "TYPE I"),
		Cmd("MODE S", "MODE ok"),
		Cmd("MODE B", "MODE bad-arg"),
		Cmd("STRU F", "STRU ok"),
		Cmd("STRU R", "STRU bad-arg"),
		Cmd("SIZE a.txt", "SIZE ok"),
		Cmd("SIZE nosuch", "SIZE not-found"),
		Cmd("SIZE sub", "SIZE is-dir"),
		Cmd("MDTM a.txt", "MDTM ok"),
		Cmd("MDTM nosuch", "MDTM not-found"),
		Cmd("TYPE A", ""),
		Cmd("SIZE crlf.txt", "SIZE ascii"),
		Xfer("RETR crlf.txt", "RETR ascii"),
		Cmd("REST 4", "REST ascii"),
		Xfer("RETR crlf.txt", "RETR ascii-rest"),
		Cmd("TYPE I", ""),
		Cmd("REST 2", "REST ok"),
		Xfer("RETR a.txt", "RETR rest"),
		Cmd("REST abc", "REST bad-arg"),
		Xfer("RETR a.txt", "RETR ok"),
		Xfer("RETR nosuch", "RETR not-found"),
		Xfer("RETR secret.txt", "RETR permission"),
		Xfer("RETR sub", "RETR is-dir"),
		Xfer("LIST", "LIST ok"),
		Xfer("LIST -a", "LIST all"),
		Xfer("LIST a.txt", "LIST file"),
		Xfer("LIST nosuch", "LIST not-found"),
		Xfer("NLST", "NLST ok"),
		Xfer("NLST nosuch", "NLST not-found"),
		Xfer("MLSD", "MLSD ok"),
		Xfer("MLSD nosuch", "MLSD not-found"),
		Cmd("MLST a.txt", "MLST ok"),
		Cmd("MLST nosuch", "MLST not-found"),
		Cmd("STAT a.txt", "STAT file"),
		Cmd("STAT sub", "STAT dir"),
		Put("STOR up.txt", "STOR ok", "uploaded\n"),
		Put("APPE up.txt", "APPE ok", "more\n"),
		Put("STOR nosuch/x.txt", "STOR not-found", "x\n"),
		Put("STOR /new.txt", "STOR permission", "x\n"),
		Cmd("MKD newdir", "MKD ok"),
		Cmd("MKD newdir", "MKD exists"),
		Cmd("MKD nosuch/x", "MKD not-found"),
		Cmd("MKD /forbidden", "MKD permission"),
		Cmd("RMD newdir", "RMD ok"),
		Cmd("RMD nosuch", "RMD not-found"),
		Cmd("RMD sub", "RMD not-empty"),
		Cmd("SITE CHMOD 600 up.txt", "SITE CHMOD"),
		Cmd("DELE up.txt", "DELE ok"),
		Cmd("DELE nosuch", "DELE not-found"),
		Cmd("DELE sub", "DELE is-dir"),
		Cmd("DELE /top.txt", "DELE permission"),
		Cmd("RNFR a.txt", "RNFR ok"),
		Cmd("RNTO renamed.txt", "RNTO ok"),
		Cmd("RNFR renamed.txt", ""),
		Cmd("RNTO a.txt", ""),
		Cmd("RNFR nosuch", "RNFR not-found"),
		Cmd("RNTO x.txt", "RNTO bad-sequence"),
		Cmd("SITE HELP", "SITE HELP"),
		Cmd("SITE NOSUCH", "SITE unknown"),
		Cmd("XFOO", "unknown"),
		Cmd("OPTS UTF8 ON", "OPTS UTF8"),
		Cmd("OPTS MLST type;size;", "OPTS MLST"),
		Cmd("EPSV", "EPSV ok"),
		Cmd("PASV", "PASV ok"),
		Cmd("PORT 127,0,0,1,4,1", "PORT ok"),
		Cmd("EPRT |1|127.0.0.1|1025|", "EPRT ok"),
		Cmd("ABOR", "ABOR idle"),
		Cmd("PBSZ 0", "PBSZ plain"),
		Cmd("PROT P", "PROT plain"),
		Cmd("CCC", "CCC plain"),
		Cmd("QUIT", "QUIT ok"),
	}},
	{Name: "plain-auth", Steps: []Step{
		Cmd("AUTH TLS", "AUTH plain"),
		Cmd("QUIT", "QUIT ok"),
	}},
	{Name: "tls", TLS: true, Steps: []Step{
		Cmd("AUTH TLS", "AUTH TLS"),
		Cmd("USER {user}", "USER ok"),
		Cmd("PASS {password}", "PASS ok"),
		Cmd("FEAT", "FEAT tls"),
		Cmd("PBSZ 0", "PBSZ ok"),
		Cmd("PROT P", "PROT P"),
		Cmd("CWD {dir}", ""),
		Cmd("#resume on", ""),
		Xfer("NLST", "NLST tls"),
		Cmd("PROT C", "PROT C"),
		Xfer("NLST", "NLST clear"),
		Cmd("PROT X", "PROT bad-arg"),
		Cmd("CCC", "CCC tls"),
		Cmd("NOOP", "NOOP ok"),
		Cmd("QUIT", "QUIT ok"),
	}},
	{Name: "tls-no-reuse", TLS: true, Steps: []Step{
		Cmd("AUTH TLS", ""),
		Cmd("USER {user}", ""),
		Cmd("PASS {password}", ""),
		Cmd("PROT P", "PROT before-pbsz"),
		Cmd("PBSZ 0", ""),
		Cmd("PROT P", ""),
		Cmd("CWD {dir}", ""),
		Cmd("#resume off", ""),
		Xfer("NLST", "NLST no-reuse"),
		Cmd("NOOP", "NOOP after-no-reuse"),
		Cmd("QUIT", "QUIT ok"),
	}},
	{Name: "tls-ssl", TLS: true, Steps: []Step{
		Cmd("AUTH SSL", "AUTH SSL"),
		Cmd("QUIT", "QUIT ok"),
	}},
}

// Seed writes Tree into dir (the target's Dir on the host; entries with a
// leading "/" into root), with its modes and times relative to now.
func Seed(root, dir string, now time.Time) error {
	var dirs []string
	for _, f := range Tree {
		p := filepath.Join(dir, f.Path)
		if strings.HasPrefix(f.Path, "/") {
			p = filepath.Join(root, f.Path)
		}
		mt := FixedTime
		if f.Age != 0 {
			mt = now.Add(-f.Age).Truncate(time.Second)
		}
		switch {
		case f.Dir:
			if err := os.Mkdir(p, 0o777); err != nil {
				return err
			}
			dirs = append(dirs, p)
		case f.Link != "":
			if err := os.Symlink(f.Link, p); err != nil {
				return err
			}
			if err := lchtimes(p, mt); err != nil {
				return err
			}
			continue
		case f.Size > 0:
			if err := os.WriteFile(p, nil, 0o666); err != nil {
				return err
			}
			if err := os.Truncate(p, f.Size); err != nil {
				return err
			}
		default:
			if err := os.WriteFile(p, []byte(f.Content), 0o666); err != nil {
				return err
			}
		}
		mode := os.FileMode(0o666)
		if f.Dir {
			mode = 0o777
		}
		if f.Mode != 0 || f.NoAccess {
			mode = f.Mode
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		if err := os.Chtimes(p, mt, mt); err != nil {
			return err
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i], FixedTime, FixedTime); err != nil {
			return err
		}
	}
	if err := os.Chtimes(dir, FixedTime, FixedTime); err != nil {
		return err
	}
	return os.Chtimes(root, FixedTime, FixedTime)
}
