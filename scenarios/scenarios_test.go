package scenarios

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestEveryFileIsEmbedded checks that the library holds every file of the
// folder (but the Go sources), byte for byte, and nothing else.
func TestEveryFileIsEmbedded(t *testing.T) {
	onDisk := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		p = filepath.ToSlash(p)
		onDisk[p] = true
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := fs.ReadFile(FS(), p)
		if err != nil {
			t.Errorf("%s is not embedded (add its folder to the go:embed line): %v", p, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: the embedded copy differs", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) < 100 {
		t.Fatalf("only %d files under scenarios/", len(onDisk))
	}
	_ = fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !onDisk[p] {
			t.Errorf("%s is embedded but not on disk", p)
		}
		return err
	})
}

// TestEveryScenarioLoads loads each listed scenario and checks what List
// says about it.
func TestEveryScenarioLoads(t *testing.T) {
	list := List()
	if len(list) != 119 {
		t.Errorf("%d scenarios in the library, want 119 (the files under scenarios/): update this count when adding one", len(list))
	}
	seen := map[string]bool{}
	for i, in := range list {
		if i > 0 && list[i-1].Name >= in.Name {
			t.Errorf("List is not sorted: %s before %s", list[i-1].Name, in.Name)
		}
		seen[in.Name] = true
		if in.Path != in.Name+".yaml" {
			t.Errorf("%s: path %q", in.Name, in.Path)
		}
		if in.Description == "" || strings.Contains(in.Description, "\n") {
			t.Errorf("%s: description %q: want one line (add a description: to the file)", in.Name, in.Description)
		}
		sc, err := Load(in.Name)
		if err != nil {
			t.Errorf("%s: %v", in.Name, err)
			continue
		}
		if sc.Source != "builtin:"+in.Name {
			t.Errorf("%s: Source %q", in.Name, sc.Source)
		}
		if sc.Description != in.Description {
			t.Errorf("%s: description %q, List says %q", in.Name, sc.Description, in.Description)
		}
		raw, err := ReadFile(in.Name)
		disk, _ := os.ReadFile(filepath.FromSlash(in.Path))
		if err != nil || !bytes.Equal(raw, disk) {
			t.Errorf("%s: ReadFile: %v", in.Name, err)
		}
	}
	for _, name := range []string{"busy-file", "codes/452-stor", "codes/530-pass", "codes/421-user", "data/slow-link-64kbps"} {
		if !seen[name] {
			t.Errorf("%s missing from List", name)
		}
	}
}

func TestNames(t *testing.T) {
	for _, name := range []string{"busy-file", "busy-file.yaml", "/busy-file", "./busy-file"} {
		sc, err := Load(name)
		if err != nil || sc.Name != "busy-file" || sc.Source != "builtin:busy-file" {
			t.Errorf("Load(%q): %v", name, err)
		}
	}
	f, err := Open("codes/452-stor")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	_ = f.Close()
	if !bytes.Contains(b, []byte("name: 452-stor")) {
		t.Errorf("Open: %q", b)
	}
	for name, want := range map[string]string{
		"busy-fil":           `no such scenario in the library (did you mean "busy-file"?); "mockftpd scenarios" lists them`,
		"452-stor":           `(did you mean "codes/452-stor"?)`,
		"codes/530":          `(did you mean one of codes/530-pass, codes/530-user?)`,
		"codes":              `no such scenario in the library; "mockftpd scenarios" lists them`,
		"../go.mod":          `no such scenario in the library`,
		"no-such-thing-here": `open builtin:no-such-thing-here: no such scenario in the library;`,
	} {
		_, err := Load(name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q): %v, want %q", name, err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load(%q): %v does not match fs.ErrNotExist", name, err)
		}
		if _, err := ReadFile(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%q): %v", name, err)
		}
	}
	if name, ok := Builtin("builtin:codes/452-stor"); !ok || name != "codes/452-stor" {
		t.Errorf("Builtin: %q %v", name, ok)
	}
	if _, ok := Builtin("scenarios/busy-file.yaml"); ok {
		t.Error("a path taken for a builtin")
	}
	if sc, err := LoadFile("builtin:codes/452-stor"); err != nil || sc.Name != "452-stor" {
		t.Errorf("LoadFile(builtin): %v", err)
	}
	if sc, err := LoadFile("busy-file.yaml"); err != nil || sc.Source != "busy-file.yaml" {
		t.Errorf("LoadFile(path): %v", err)
	}
	if _, err := LoadFile("builtin:nope"); err == nil || !strings.Contains(err.Error(), "builtin:nope") {
		t.Errorf("LoadFile(builtin:nope): %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustLoad of an unknown name did not panic")
		}
	}()
	MustLoad("nope")
}

// TestFromReadsTheLibrary checks that "from:" in a library scenario reads
// the library, never the host.
func TestFromReadsTheLibrary(t *testing.T) {
	fsys := fstest.MapFS{
		"pack/seeded.yaml": {Data: []byte(`version: 1
name: seeded
description: Files copied from the library.
files:
  - {path: /pub, from: payload}
  - {path: /one.bin, from: payload/b/bin.dat}
  - {path: /shared.txt, from: ../shared/readme.txt}
`)},
		"pack/payload/a.txt":     {Data: []byte("hello\n")},
		"pack/payload/b/bin.dat": {Data: []byte{0, 1, 2, 255}},
		"shared/readme.txt":      {Data: []byte("shared\n")},
		"escape.yaml":            {Data: []byte("version: 1\nfiles:\n  - {path: /x, from: ../outside}\n")},
		"absolute.yaml":          {Data: []byte("version: 1\nfiles:\n  - {path: /x, from: /etc/hostname}\n")},
		"missing.yaml":           {Data: []byte("version: 1\nfiles:\n  - {path: /x, from: nothing-here}\n")},
	}
	sc, err := load(fsys, "pack/seeded")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range sc.Files {
		if f.From != "" {
			t.Errorf("%s still reads %q from the host", f.Path, f.From)
		}
		r, _, err := f.Open("")
		if f.Dir {
			got = append(got, f.Path+"/")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		_ = r.Close()
		got = append(got, f.Path+"="+string(b))
	}
	want := []string{"/pub/", "/pub/a.txt=hello\n", "/pub/b/", "/pub/b/bin.dat=\x00\x01\x02\xff", "/one.bin=\x00\x01\x02\xff", "/shared.txt=shared\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("files:\n%q\nwant\n%q", got, want)
	}
	for name, want := range map[string]string{
		"escape":   `builtin:escape: files[0].from: "../outside" leaves the library`,
		"absolute": `builtin:absolute: files[0].from: "/etc/hostname": a library scenario copies files from the library only`,
		"missing":  `builtin:missing: files[0].from: `,
	} {
		if _, err := load(fsys, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
}
