package hostfs_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/hostfs"
)

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "served")
	defer os.RemoveAll(dir)
	// A symbolic link in the served directory to a file outside it.
	os.Symlink(filepath.Join(os.TempDir(), "elsewhere"), filepath.Join(dir, "dangling"))

	fsys, err := hostfs.New(dir, hostfs.Options{MaxFileSize: 1 << 30})
	if err != nil {
		panic(err)
	}
	defer fsys.Close()
	if err := afero.WriteFile(fsys, "/inbox/report.csv", []byte("a,b\n"), 0o644); err != nil {
		fmt.Println(err) // the parent does not exist
	}
	fsys.MkdirAll("/inbox", 0o755)
	fmt.Println(afero.WriteFile(fsys, "/inbox/report.csv", []byte("a,b\n"), 0o644))

	_, err = fsys.Create("/dangling")
	fmt.Println(err)
	fmt.Println(errors.Is(err, hostfs.ErrOutside))
	// Output:
	// open /inbox/report.csv: no such file or directory
	// <nil>
	// open /dangling: leads outside the served directory
	// true
}
