package mockftpd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPythonPackage runs the tests of the Python package in python/
// (pytest, against the real binary built here), then README.md's Python
// example the way a user runs it: python/ on PYTHONPATH and
// -p mockftpd.pytest_plugin, from a folder outside the repository.
func TestPythonPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python and many servers (-short)")
	}
	python := findPytest(t)
	repo, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "mockftpd")
	build := exec.Command(findGo(t), "build", "-o", bin, "./cmd/mockftpd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mockftpd: %v\n%s", err, out)
	}

	env := append(os.Environ(), "MOCKFTPD_BIN="+bin, "PYTHONDONTWRITEBYTECODE=1")
	t.Run("python/tests", func(t *testing.T) {
		pytest(t, python, filepath.Join(repo, "python"), env, "-p", "no:cacheprovider", "-q", "-rs")
	})

	t.Run("pip install", func(t *testing.T) {
		// Installed (here into a folder of its own, from a copy: setuptools
		// builds in the source tree), the plugin loads without -p.
		if exec.Command(python, "-c", "import setuptools, pip").Run() != nil {
			msg := "no pip and setuptools: apt-get install python3-pip python3-setuptools"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		src, target, dir := t.TempDir(), t.TempDir(), t.TempDir()
		if err := os.CopyFS(src, os.DirFS(filepath.Join(repo, "python"))); err != nil {
			t.Fatal(err)
		}
		install := exec.Command(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
			"--no-build-isolation", "--no-deps", "--no-index", "--target", target, src)
		install.Env = append(env, "PIP_ROOT_USER_ACTION=ignore")
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("pip install: %v\n%s", err, out)
		}
		test := "def test_fixture(mockftpd):\n    assert mockftpd.journal() == []\n"
		if err := os.WriteFile(filepath.Join(dir, "test_installed.py"), []byte(test), 0o644); err != nil {
			t.Fatal(err)
		}
		pytest(t, python, dir, append(env, "PYTHONPATH="+target), "-p", "no:cacheprovider", "-q", "test_installed.py")
	})

	t.Run("README example", func(t *testing.T) {
		readme, err := os.ReadFile("README.md")
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		example := readmeBlock(t, string(readme), "## Python: one import", "```python\n")
		if err := os.WriteFile(filepath.Join(dir, "test_example.py"), []byte(example), 0o644); err != nil {
			t.Fatal(err)
		}
		out := pytest(t, python, dir, append(env, "PYTHONPATH="+filepath.Join(repo, "python")),
			"-p", "mockftpd.pytest_plugin", "-p", "no:cacheprovider", "-v", "test_example.py")
		if n := strings.Count(out, " PASSED"); n != 4 {
			t.Fatalf("%d of 4 README tests passed:\n%s", n, out)
		}
	})
}

// pytest runs python -m pytest in dir and fails the test with its output
// unless every test passed.
func pytest(t *testing.T, python, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{"-m", "pytest"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pytest in %s: %v\n%s", dir, err, out)
	}
	t.Logf("pytest in %s: %s\n%s", dir, time.Since(start).Round(time.Millisecond), lastLines(string(out), 3))
	return string(out)
}

// findPytest returns a Python 3 with pytest: $MOCKFTPD_PYTHON, python3 on
// the PATH, or Debian's /usr/bin/python3. Without one the test is skipped
// (and fails under CI=true, where .ci/run installs python3-pytest).
func findPytest(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("MOCKFTPD_PYTHON"), "python3", "/usr/bin/python3"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import pytest, sys; sys.exit(sys.version_info < (3, 8))").Run() == nil {
			return path
		}
	}
	msg := "no Python 3 with pytest: apt-get install python3-pytest (or pip install pytest; MOCKFTPD_PYTHON names the interpreter)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
