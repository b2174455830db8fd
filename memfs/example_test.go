package memfs_test

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mockftpd/mockftpd/memfs"
	"github.com/spf13/afero"
)

func ExampleNew() {
	fsys := memfs.New()
	if err := fsys.MkdirAll("/pub/incoming", 0o755); err != nil {
		panic(err)
	}
	f, err := fsys.OpenFile("/pub/incoming/hello.txt", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		panic(err)
	}
	// ftpserverlib stores uploads with io.Copy(file, conn), which ends up in
	// File.ReadFrom.
	if _, err := io.Copy(f, strings.NewReader("hello, world\n")); err != nil {
		panic(err)
	}
	f.Close()

	data, _ := afero.ReadFile(fsys, "/pub/incoming/hello.txt")
	fmt.Print(string(data))
	files, bytes := fsys.Usage()
	fmt.Println(files, "file,", bytes, "bytes")

	_, err = fsys.Stat("/pub/missing")
	fmt.Println(os.IsNotExist(err))
	// Output:
	// hello, world
	// 1 file, 13 bytes
	// true
}

func ExampleNewWithOptions() {
	fsys := memfs.NewWithOptions(memfs.Options{Quota: 8})
	f, _ := fsys.Create("/f")
	n, err := f.Write([]byte("0123456789"))
	fmt.Println(n, err)
	// Output:
	// 8 write /f: memfs: storage quota exceeded
}
