package mockftpd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/scenarios"
)

// TestFreshModule does what README.md's "Use it in your project" says, in
// a new module in a temporary folder outside the repository: a replace
// directive to this checkout, go mod tidy, and README's example as the
// module's test, which uses ftptest and the embedded scenario library.
// Then it builds the command there and serves builtin: scenarios from a
// folder that has no scenario files. Dependencies come from the module
// cache or GOPROXY as inherited; this checkout's go.sum is copied so that
// no checksum database is asked.
func TestFreshModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of its own (-short)")
	}
	goTool := findGo(t)
	checkout, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example := readmeBlock(t, string(readme), "## Use it in your project", "```go\n")

	dir := t.TempDir()
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/myclient\n\ngo 1.26\n\nrequire github.com/jlaffaye/ftp v0.2.4\n")
	write("go.sum", string(sum))
	write("client_test.go", example)

	// The child's own settings: .ci/run exports GOFLAGS=-mod=readonly,
	// which would stop go from writing the new module's go.mod.
	env := []string{"GOFLAGS=" + childGoflags(os.Getenv("GOFLAGS")), "GOWORK=off", "GOTOOLCHAIN=local"}
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "GOFLAGS", "GOWORK", "GOTOOLCHAIN":
		default:
			env = append(env, kv)
		}
	}
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goTool, args...)
		cmd.Dir, cmd.Env = dir, env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("go %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		return string(out)
	}

	goCmd("mod", "edit", "-replace", "github.com/mockftpd/mockftpd="+checkout)
	goCmd("mod", "tidy")
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(mod), "github.com/mockftpd/mockftpd v0.0.0-00010101000000-000000000000") {
		t.Fatalf("go mod tidy did not require the module:\n%s", mod)
	}
	out := goCmd("test", "-count=1", "-v", "./...")
	for _, name := range []string{"TestDownloadRetriesWhileBusy", "TestUploadGets452ThenMkdirFails"} {
		if !strings.Contains(out, "--- PASS: "+name) {
			t.Errorf("%s did not pass in the new module:\n%s", name, out)
		}
	}

	// The command, built in the new module, carries the library.
	bin := filepath.Join(dir, "mockftpd")
	goCmd("build", "-o", bin, "github.com/mockftpd/mockftpd/cmd/mockftpd")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mockftpd %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("scenarios", "codes/452"); !strings.Contains(out, "codes/452-stor") || !strings.Contains(out, "The first STOR gets 452.") {
		t.Errorf("mockftpd scenarios codes/452:\n%s", out)
	}
	if out := run("validate", "builtin:busy-file", "builtin:data/upload-disk-full-at-10mib"); strings.Count(out, ": ok (") != 2 {
		t.Errorf("mockftpd validate builtin:...:\n%s", out)
	}
}

// findGo returns the go command (go test puts its own first on PATH).
func findGo(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command: install Go 1.26 (https://go.dev/dl/)")
	}
	return goTool
}

// readmeBlock returns the first code block that opens with fence after
// the heading.
func readmeBlock(t *testing.T, readme, heading, fence string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	_, block, ok := strings.Cut(after, "\n"+fence)
	if !ok {
		t.Fatalf("README.md has no %q block under %q", fence, heading)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("README.md: unterminated block under %q", heading)
	}
	return block + "\n"
}

// childGoflags keeps the parent's GOFLAGS but its -mod, and lets go
// update the new module's go.mod.
func childGoflags(parent string) string {
	var keep []string
	for _, f := range strings.Fields(parent) {
		if !strings.HasPrefix(f, "-mod=") {
			keep = append(keep, f)
		}
	}
	return strings.Join(append(keep, "-mod=mod"), " ")
}

// TestReadmeListsTheScenarios keeps README.md's table of ready-made
// scenarios in step with the library's top-level files.
func TestReadmeListsTheScenarios(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range scenarios.List() {
		if strings.Contains(in.Name, "/") {
			continue // codes/ and data/ have their own pages and tests
		}
		if !strings.Contains(string(readme), "\n| `"+in.Name+"` | ") {
			t.Errorf("README.md's scenario table has no row for %s (%s)", in.Name, in.Description)
		}
	}
}

// TestReadmeScenariosValidate parses every scenario in README.md's YAML
// blocks (a block without a version gets "version: 1", as the README
// shows fragments), so that an example that would not load is caught.
func TestReadmeScenariosValidate(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "```yaml\n")[1:]
	checked := 0
	for i, b := range blocks {
		b, _, ok := strings.Cut(b, "```")
		if !ok {
			t.Fatalf("README.md: YAML block %d is not closed", i+1)
		}
		if strings.Contains(b, "\nservices:") || strings.HasPrefix(b, "services:") {
			continue // a Compose file
		}
		if !strings.Contains(b, "version:") {
			b = "version: 1\n" + b
		}
		if _, err := scenario.Parse(fmt.Sprintf("README.md YAML block %d", i+1), []byte(b)); err != nil {
			t.Errorf("%v", err)
		}
		checked++
	}
	if checked < 3 {
		t.Fatalf("only %d scenario blocks found in README.md", checked)
	}
}
