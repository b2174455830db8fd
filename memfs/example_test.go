package memfs_test

import (
	"errors"
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

func ExampleFs_Generate() {
	fsys := memfs.New()
	// A terabyte of deterministic bytes, computed when read: byte i is i%251.
	fill := func(p []byte, off int64) {
		for i := range p {
			p[i] = byte((off + int64(i)) % 251)
		}
	}
	if err := fsys.Generate("/huge.bin", 1<<40, fill); err != nil {
		panic(err)
	}
	fi, _ := fsys.Stat("/huge.bin")
	fmt.Println(fi.Size(), "bytes")

	f, _ := fsys.Open("/huge.bin")
	defer f.Close()
	tail := make([]byte, 4)
	f.ReadAt(tail, fi.Size()-4)
	fmt.Println(tail)
	// Output:
	// 1099511627776 bytes
	// [109 110 111 112]
}

func ExampleOptions_maxFileSize() {
	fsys := memfs.NewWithOptions(memfs.Options{MaxFileSize: 1 << 20})
	f, _ := fsys.Create("/f")
	defer f.Close()
	// A hole costs no memory, but no file grows past MaxFileSize.
	_, err := f.Seek(2<<20, io.SeekStart)
	fmt.Println(err)
	fmt.Println(errors.Is(err, memfs.ErrFileTooLarge))
	// Output:
	// seek /f: file too large: the maximum file size is 1048576 bytes
	// true
}
