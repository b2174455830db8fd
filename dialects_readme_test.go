package mockftpd_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
)

// TestClientAgainstThreeServers is the README's example of one client
// tested against three server products: each dialect's own listing
// format (vsftpd's ls -l, ProFTPD's MLSD, IIS's MS-DOS lines) must read
// as the same file.
func TestClientAgainstThreeServers(t *testing.T) {
	for _, server := range []string{"vsftpd", "proftpd", "iis"} {
		t.Run(server, func(t *testing.T) {
			srv := ftptest.New(t, ftptest.WithScenario(scenario.New(server).Dialect(server)))
			if err := srv.WriteFile("/pub/report 2024.csv", []byte("a,b\n")); err != nil {
				t.Fatal(err)
			}
			c, err := ftp.Dial(srv.Addr(), ftp.DialWithTimeout(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Quit()
			if err := c.Login("user", "secret"); err != nil {
				t.Fatal(err)
			}
			entries, err := c.List("/pub") // MLSD where the server has it, else LIST
			if err != nil {
				t.Fatal(err)
			}
			var files []*ftp.Entry
			for _, e := range entries {
				if e.Type == ftp.EntryTypeFile { // ProFTPD's MLSD also sends "." and ".."
					files = append(files, e)
				}
			}
			if len(files) != 1 || files[0].Name != "report 2024.csv" || files[0].Size != 4 {
				t.Errorf("%s: the client read %+v", server, files)
			}
		})
	}
}

// The README shows TestClientAgainstThreeServers as it is here.
func TestReadmeShowsTheDialectExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("dialects_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	block := readmeBlock(t, string(readme), "## Dialects: look like vsftpd, ProFTPD, IIS...", "```go\n")
	if !strings.Contains(string(src), block) {
		t.Errorf("README.md's dialect example is not TestClientAgainstThreeServers as in dialects_readme_test.go:\n%s", block)
	}
}
