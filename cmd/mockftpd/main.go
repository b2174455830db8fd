// Command mockftpd runs a scriptable mock FTP server.
//
//	mockftpd [flags]                 serve until SIGINT or SIGTERM
//	mockftpd validate FILE...        check scenario files
//	mockftpd scenarios [-json]       list the ready-made scenarios
//	mockftpd scenarios show NAME     print one of them
//	mockftpd dialects [show NAME]    list the server products mockftpd can look like
//	mockftpd record -upstream HOST:PORT -out FILE.yaml   record a real server as a scenario
//	mockftpd codes [-json] [CODE]    print the reply-code catalogue (452, 4xx)
//	mockftpd healthcheck [flags]     exit 0 when a running mockftpd is up
//	mockftpd cert [-host NAME] [-cert FILE -key FILE]   write a self-signed certificate for FTPS
//	mockftpd version                 print the version
//
// Every flag can also be set from the environment as MOCKFTPD_<NAME>
// (dashes become underscores): MOCKFTPD_LISTEN, MOCKFTPD_PASSIVE_PORTS...
//
// With -admin ADDR it also serves the admin HTTP API (package admin), and
// it reloads the -scenario file when the file changes or on SIGHUP.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run is the whole program, testable: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	if len(args) > 0 {
		switch args[0] {
		case "version", "-version", "--version":
			fmt.Fprintln(stdout, "mockftpd", version())
			return 0
		case "validate":
			return runValidate(args[1:], stdout, stderr)
		case "codes":
			return runCodes(args[1:], stdout, stderr)
		case "scenarios":
			return runScenarios(args[1:], stdout, stderr)
		case "dialects":
			return runDialects(args[1:], stdout, stderr)
		case "record":
			return runRecord(ctx, args[1:], stdout, stderr, env)
		case "healthcheck":
			return runHealthcheck(ctx, args[1:], stdout, stderr, env)
		case "cert":
			return runCert(args[1:], stdout, stderr)
		case "help", "-h", "-help", "--help":
			fs := newServeFlags(stderr)
			fs.set.SetOutput(stdout)
			fs.set.Usage()
			return 0
		}
	}
	return runServe(ctx, args, stdout, stderr, env)
}
