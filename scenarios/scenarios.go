// Package scenarios is mockftpd's library of ready-made scenario files,
// embedded in every program that imports it (the mockftpd command and its
// Docker image included), so that another module can use them without a
// copy of this repository.
//
// A scenario is named by its path under this folder without ".yaml":
// "busy-file", "codes/452-stor", "data/slow-link-64kbps". Where a file
// path is expected (ftptest.WithScenarioFile, mockftpd -scenario,
// mockftpd validate), "builtin:NAME" names one of them:
//
//	srv := ftptest.New(t, ftptest.WithScenarioFile("builtin:busy-file"))
//	sc := scenarios.MustLoad("codes/452-stor")
//
// "mockftpd scenarios" lists them with their descriptions, and
// "mockftpd scenarios show NAME" prints one, to copy and edit.
package scenarios

import (
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/mockftpd/mockftpd/scenario"
)

// library holds every file of this folder but the Go sources. A test
// checks that no file of the folder is missing from it.
//
//go:embed *.yaml codes data
var library embed.FS

// Prefix marks a library scenario where a file path is expected:
// "builtin:busy-file".
const Prefix = "builtin:"

// Info describes one scenario of the library.
type Info struct {
	// Name is what Load takes: the file's path without ".yaml", e.g.
	// "codes/452-stor".
	Name string `json:"name"`
	// Description is the file's one-line description: its "description:",
	// else the first line of its header comment.
	Description string `json:"description"`
	// Path is the file's path in FS, e.g. "codes/452-stor.yaml".
	Path string `json:"path"`
}

// FS returns the library's files as they are in the repository's
// scenarios/ folder (read-only).
func FS() fs.FS { return library }

// List returns every scenario of the library, sorted by name.
func List() []Info { return slices.Clone(index()) }

// index lists the library once.
var index = sync.OnceValue(func() []Info { return list(library) })

// list finds the scenario files of fsys (.yaml, .yml and .json) and reads
// their descriptions.
func list(fsys fs.FS) []Info {
	var out []Info
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isScenarioFile(p) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		out = append(out, Info{Name: nameOf(p), Description: describe(Prefix+nameOf(p), data), Path: p})
		return nil
	})
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func isScenarioFile(p string) bool {
	switch path.Ext(p) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func nameOf(p string) string { return strings.TrimSuffix(p, path.Ext(p)) }

// describe returns a scenario file's one-line description: its
// "description:", else the first line of the comment at its top.
func describe(source string, data []byte) string {
	if sc, err := scenario.Parse(source, data); err == nil && sc.Description != "" {
		return strings.Join(strings.Fields(sc.Description), " ")
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "#") {
			break
		}
		if text := strings.TrimSpace(strings.TrimLeft(line, "#")); text != "" {
			return text
		}
	}
	return ""
}

// Builtin reports whether ref names a library scenario ("builtin:NAME"),
// and which.
func Builtin(ref string) (name string, ok bool) {
	return strings.CutPrefix(ref, Prefix)
}

// LoadFile loads "builtin:NAME" from the library (Load) and any other
// path from disk (scenario.Load): what a flag or option that takes a
// scenario file accepts.
func LoadFile(ref string) (*scenario.Scenario, error) {
	if name, ok := Builtin(ref); ok {
		return Load(name)
	}
	return scenario.Load(ref)
}

// Open opens a library file by scenario name ("busy-file") or by its path
// in FS ("busy-file.yaml", "codes/452-stor.yaml").
func Open(name string) (fs.File, error) {
	p, err := find(library, name)
	if err != nil {
		return nil, err
	}
	return library.Open(p)
}

// ReadFile returns the bytes of a library file, named as for Open.
func ReadFile(name string) ([]byte, error) {
	p, err := find(library, name)
	if err != nil {
		return nil, err
	}
	return library.ReadFile(p)
}

// Load parses and validates a library scenario, named as for Open. Its
// Source, which located errors and logs show, is "builtin:NAME". Relative
// "from:" paths are read from the library (the file's folder first), not
// from the host: such files are copied into the scenario.
func Load(name string) (*scenario.Scenario, error) { return load(library, name) }

// MustLoad is Load for a scenario known to exist; it panics on an error.
func MustLoad(name string) *scenario.Scenario {
	sc, err := Load(name)
	if err != nil {
		panic(err)
	}
	return sc
}

// find returns the path in fsys of the scenario called name (with or
// without its extension). An unknown name gets an error that matches
// fs.ErrNotExist and suggests names that contain it.
func find(fsys fs.FS, name string) (string, error) {
	name = strings.TrimPrefix(path.Clean(strings.TrimPrefix(name, "/")), "./")
	if fs.ValidPath(name) && name != "." {
		if st, err := fs.Stat(fsys, name); err == nil && !st.IsDir() {
			return name, nil
		}
		for _, ext := range []string{".yaml", ".yml", ".json"} {
			if st, err := fs.Stat(fsys, name+ext); err == nil && !st.IsDir() {
				return name + ext, nil
			}
		}
	}
	return "", &fs.PathError{Op: "open", Path: Prefix + name, Err: notFound(fsys, name)}
}

// notFound says that name is not in the library, with near names.
func notFound(fsys fs.FS, name string) error {
	var near []string
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isScenarioFile(p) && name != "" && strings.Contains(nameOf(p), name) {
			near = append(near, nameOf(p))
		}
		return nil
	})
	msg := "no such scenario in the library"
	switch {
	case len(near) == 1:
		msg += fmt.Sprintf(" (did you mean %q?)", near[0])
	case len(near) > 1 && len(near) <= 8:
		msg += fmt.Sprintf(" (did you mean one of %s?)", strings.Join(near, ", "))
	}
	return fmt.Errorf("%w; \"mockftpd scenarios\" lists them", notExist{msg})
}

// notExist is an error message that matches fs.ErrNotExist.
type notExist struct{ msg string }

func (e notExist) Error() string        { return e.msg }
func (e notExist) Is(target error) bool { return target == fs.ErrNotExist }

// load reads, parses and validates the scenario called name from fsys, and
// turns its "from:" files into content read from fsys.
func load(fsys fs.FS, name string) (*scenario.Scenario, error) {
	p, err := find(fsys, name)
	if err != nil {
		return nil, err
	}
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	source := Prefix + nameOf(p)
	sc, err := scenario.Parse(source, data)
	if err != nil {
		return nil, err
	}
	var files []scenario.File
	var errs []error
	for i, f := range sc.Files {
		if f.From == "" {
			files = append(files, f)
			continue
		}
		got, err := fromLibrary(fsys, path.Dir(p), f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: files[%d].from: %w", source, i, err))
			continue
		}
		files = append(files, got...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sc.Files = files
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

// fromLibrary turns a file entry whose From names a library file or folder
// (relative to dir) into entries holding the content: one for a file; for
// a folder, the folder and everything below it, in lexical order.
func fromLibrary(fsys fs.FS, dir string, f scenario.File) ([]scenario.File, error) {
	if path.IsAbs(f.From) || strings.Contains(f.From, `\`) || strings.HasPrefix(f.From, "~") {
		return nil, fmt.Errorf("%q: a library scenario copies files from the library only (a path relative to its folder)", f.From)
	}
	src := path.Join(dir, f.From)
	if !fs.ValidPath(src) {
		return nil, fmt.Errorf("%q leaves the library", f.From)
	}
	var out []scenario.File
	err := fs.WalkDir(fsys, src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, src), "/")
		entry := scenario.File{Path: path.Join(f.Path, rel), ModTime: f.ModTime}
		if d.IsDir() {
			entry.Dir = true
		} else {
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			entry.Base64 = base64.StdEncoding.EncodeToString(data)
		}
		out = append(out, entry)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
