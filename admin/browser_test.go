package admin_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/internal/testtool"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// The live page in a real browser: headless Chromium (Debian's chromium)
// driven through the DevTools protocol with chromedp. Each view is
// screenshot into the test's artifact directory (go test -artifacts
// -outputdir DIR keeps them; the paths are logged).

// chromium returns the browser to drive: $MOCKFTPD_CHROMIUM, else the
// first of chromium, chromium-browser, google-chrome on the PATH. Without
// one the test skips (fails under CI=true).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MOCKFTPD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testtool.Unavailable(t, "Chromium (for the live page's browser tests)", "apt-get install -y chromium")
	return ""
}

// browser starts a headless Chromium with a new profile and returns a tab's
// context; the test's end closes it.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// this machine's network is closed: nothing but the page's own
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

type step = chromedp.Action[chromedp.Void]

// run runs the steps, failing the test with what the page shows.
func run(t *testing.T, ctx context.Context, what string, steps ...step) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		shot(t, ctx, "failure")
		t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
	}
}

// void makes an action that returns a value a step.
func void[T any](a chromedp.Action[T]) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, tg)
		return chromedp.Void{}, err
	}
}

// until waits until the JavaScript expression is true.
func until(expr string) step {
	return void(chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
}

// eval runs JavaScript for its effect.
func eval(expr string) step { return void(chromedp.Evaluate[any](expr)) }

// text is the text of the element sel (a CSS selector) shows.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// media sets an emulated CSS media feature, e.g. prefers-color-scheme.
func media(name, value string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: name, Value: value}}})
		return chromedp.Void{}, err
	}
}

// noScript switches the page's JavaScript off.
func noScript() step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
}

// shot writes a screenshot of the viewport to the test's artifact
// directory, and logs where.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

const browserScenario = `version: 1
name: upload and download faults
description: The second upload of a session finds the disk full; downloads of big files are cut after 1 KiB.
files:
  - {path: /pub/big.bin, size: 64KiB}
  - {path: /pub/readme.txt, content: "hello\n"}
rules:
  - name: disk full
    when: {command: STOR, nth: 2}
    reply: 452 Insufficient storage space
  - name: cut download
    when: {command: RETR, arg: {glob: "/pub/big*"}}
    data: {after: 1KiB, end: reset}
expect:
  - {name: two uploads, command: STOR, at_least: 2}
  - {name: clean up, command: DELE, at_least: 1}
`

// TestPageInBrowser drives the page as a person would: a jlaffaye/ftp
// session and a curl session against a server with a scenario, then the
// page must show the sessions, the commands, the rule that fired and why,
// the cut transfer and its fault, the expectations; update live when a
// command arrives; filter; move between sessions with the keyboard; and
// fit a narrow window and a dark theme.
func TestPageInBrowser(t *testing.T) {
	curl := testtool.Need(t, "curl", "apt-get install -y curl")
	ctx := browser(t, 1280, 800)

	sc, err := scenario.Parse("browser.yaml", []byte(browserScenario))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0", Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	api := admin.New(srv, admin.Options{Token: "tok-3b1f"})
	web := httptest.NewServer(api)
	t.Cleanup(func() {
		api.EndStreams()
		web.Close()
		_ = srv.Close()
	})

	// session 1, jlaffaye/ftp: an upload, a second one the rule refuses,
	// a download the fault cuts; it stays open for the live part
	c := testclient.Login(t, srv.Addr(), "alice", "pw")
	if err := c.Stor("a.txt", strings.NewReader("first\n")); err != nil {
		t.Fatalf("first STOR: %v", err)
	}
	if err := c.Stor("b.txt", strings.NewReader("second\n")); err == nil || !strings.Contains(err.Error(), "452") {
		t.Fatalf("second STOR: %v, want 452", err)
	}
	if r, err := c.Retr("/pub/big.bin"); err == nil {
		_, _ = r.Read(make([]byte, 64<<10))
		_ = r.Close()
	}
	if _, err := srv.WaitCommand("RETR", "/pub/big.bin", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// session 2, curl: an upload
	up := filepath.Join(t.TempDir(), "report.csv")
	if err := os.WriteFile(up, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(curl, "-sS", "--max-time", "10", "-T", up, "--user", "bob:pw", fmt.Sprintf("ftp://%s/", srv.Addr())).CombinedOutput(); err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	if _, err := srv.WaitSessionEnd(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	page := web.URL + "/ui/"
	// the token comes in the fragment, as a start-up URL may give it; the
	// page takes it out of the address
	run(t, ctx, "the sessions list",
		chromedp.Navigate(page+"#token=tok-3b1f"),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-body tr[data-session="2"]`)),
		until(`document.getElementById('live-text').textContent === 'Live'`),
	)
	address, _ := chromedp.Run(ctx, chromedp.Location())
	if strings.Contains(address, "tok-3b1f") {
		t.Errorf("the token stayed in the address: %s", address)
	}
	sessions := text(t, ctx, `#sessions-body`)
	for _, want := range []string{"alice", "bob", "open", "quit", "2 failed", "127.0.0.1"} {
		if !strings.Contains(sessions, want) {
			t.Errorf("the sessions list lacks %q:\n%s", want, sessions)
		}
	}
	shot(t, ctx, "1-sessions")

	// session 1's timeline
	run(t, ctx, "pick session 1",
		chromedp.Click(chromedp.CSS(`#sessions-body tr[data-session="1"] button.pick`)),
		until(`document.querySelectorAll('#entries li.entry').length >= 8`),
		until(`!!document.querySelector('#entries li.entry .transfer')`),
	)
	timeline, scenarioSide := text(t, ctx, `#timeline`), text(t, ctx, `#scenario`)
	for _, want := range []string{
		"connected", "USER", "alice", "230", "STOR", "a.txt", "226",
		"b.txt", "452 Insufficient storage space", "rule: disk full", "Why: rule disk full matched (its 1st firing)",
		"RETR", "/pub/big.bin", "150", "rule: cut download", "downloaded 1.0 KiB", "EPSV", "fault: cut after 1KiB (reset)",
	} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, timeline)
		}
	}
	if name := text(t, ctx, `#scenario-name`); name != "upload and download faults" {
		t.Errorf("the header names the scenario %q", name)
	}
	for _, want := range []string{"disk full", "fired 1×", "two uploads: expected STOR at least 2 times, saw 3", "clean up: expected DELE at least 1 time, saw none", "1 unmet"} {
		if !strings.Contains(scenarioSide, want) {
			t.Errorf("the scenario side lacks %q:\n%s", want, scenarioSide)
		}
	}
	run(t, ctx, "open the why of the 452",
		chromedp.Click(chromedp.CSS(`#entries li.entry.failed details.why summary`)),
		until(`document.querySelector('#entries li.entry.failed details.why').open`),
	)
	why := text(t, ctx, `#entries li.entry.failed details.why pre`)
	if !strings.Contains(why, "when: {command: STOR, nth: 2}") {
		t.Errorf("the why shows %q, want the rule's when", why)
	}
	shot(t, ctx, "2-timeline")

	// live: a command arrives, the page shows it and the expectation it
	// meets, without a reload
	run(t, ctx, "mark the page", eval(`window.notReloaded = true`))
	if err := c.Delete("a.txt"); err != nil {
		t.Fatalf("DELE: %v", err)
	}
	run(t, ctx, "the live DELE",
		until(`[...document.querySelectorAll('#entries li.entry .cmd')].some(e => e.textContent === 'DELE')`),
		until(`document.getElementById('verify-badge').textContent === 'all met'`),
		until(`window.notReloaded === true`),
	)
	shot(t, ctx, "3-live")
	// the README's picture: session 1 from its first upload
	run(t, ctx, "scroll to the uploads",
		eval(`[...document.querySelectorAll('#entries li.entry')].find(e => e.querySelector('.cmd')?.textContent === 'STOR').previousElementSibling.scrollIntoView()`),
	)
	shot(t, ctx, "ui")

	// filters: by code, by command, by text, by user
	count := `document.querySelectorAll('#entries li.entry').length`
	run(t, ctx, "filter by code 452",
		chromedp.SendKeys(chromedp.CSS(`#f-code`), "452"),
		until(count+` === 1`),
		until(`document.querySelector('#entries li.entry .arg').textContent === 'b.txt'`),
	)
	shot(t, ctx, "4-filter-code")
	run(t, ctx, "filter by command and text",
		chromedp.Click(chromedp.CSS(`#f-clear`)),
		chromedp.Click(chromedp.CSS(`#sessions-body tr[data-session="1"] button.pick`)),
		chromedp.SendKeys(chromedp.CSS(`#f-command`), "stor"),
		until(count+` === 2`),
		chromedp.SendKeys(chromedp.CSS(`#f-text`), "insufficient"),
		until(count+` === 1`),
	)
	run(t, ctx, "every session, filtered by user",
		chromedp.Click(chromedp.CSS(`#f-clear`)),
		until(`document.getElementById('timeline-what').textContent === 'all sessions'`),
		chromedp.SendKeys(chromedp.CSS(`#f-user`), "bob"),
		until(`document.querySelectorAll('#sessions-body tr[data-session]').length === 1`),
		until(`[...document.querySelectorAll('#entries li.entry')].every(e => e.dataset.session === '2')`),
		chromedp.Click(chromedp.CSS(`#f-clear`)),
		// the list is drawn again at the next frame: the arrows below move
		// through the rows shown, and with bob's filter that is one row
		until(`document.querySelectorAll('#sessions-body tr[data-session]').length === 2`),
	)

	// the keyboard: "/" goes to the search, arrows move between sessions
	run(t, ctx, "keyboard",
		chromedp.Focus(chromedp.CSS(`#sessions-body tr[data-session="2"] button.pick`)),
		chromedp.KeyEvent(kb.ArrowDown),
		until(`document.querySelector('#sessions-body tr[data-session="1"] button.pick').getAttribute('aria-pressed') === 'true'`),
		until(`document.activeElement === document.querySelector('#sessions-body tr[data-session="1"] button.pick')`),
		chromedp.KeyEvent(kb.ArrowUp),
		until(`document.getElementById('timeline-what').textContent === 'session 2'`),
		chromedp.KeyEvent("/"),
		until(`document.activeElement.id === 'f-text'`),
		// Escape in a filter empties it (the protocol's key event also
		// typed the "/" into the field it moved to)
		chromedp.KeyEvent(kb.Escape),
		until(`document.getElementById('f-text').value === ''`),
	)

	// a narrow window, and the dark theme
	run(t, ctx, "narrow",
		chromedp.EmulateViewport(420, 900),
		chromedp.Click(chromedp.CSS(`#sessions-body tr[data-session="1"] button.pick`)),
		until(`document.documentElement.scrollWidth <= window.innerWidth`),
	)
	shot(t, ctx, "5-narrow")
	run(t, ctx, "dark",
		chromedp.EmulateViewport(1280, 800),
		media("prefers-color-scheme", "dark"),
		until(`getComputedStyle(document.body).backgroundColor === 'rgb(15, 19, 24)'`),
	)
	shot(t, ctx, "6-dark")
	_ = c.Quit()
}

// TestPageAsksForTheToken: without a token the page asks for it once, and
// then shows the sessions; a wrong one is refused with the API's message.
func TestPageAsksForTheToken(t *testing.T) {
	ctx := browser(t, 1280, 800)
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	api := admin.New(srv, admin.Options{Token: "tok-9c"})
	web := httptest.NewServer(api)
	t.Cleanup(func() {
		api.EndStreams()
		web.Close()
		_ = srv.Close()
	})
	c := testclient.Login(t, srv.Addr(), "carol", "pw")
	defer func() { _ = c.Quit() }()
	run(t, ctx, "the token dialog",
		chromedp.Navigate(web.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`#token-dialog[open]`)),
		chromedp.SendKeys(chromedp.CSS(`#token-input`), "wrong"),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		until(`document.getElementById('token-dialog').open && !document.getElementById('token-error').hidden`),
	)
	shot(t, ctx, "token")
	msg := text(t, ctx, `#token-error`)
	if !strings.Contains(msg, "wrong bearer token") {
		t.Errorf("the dialog says %q", msg)
	}
	run(t, ctx, "the right token",
		chromedp.SetValue(chromedp.CSS(`#token-input`), "tok-9c"),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		until(`!document.getElementById('token-dialog').open`),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-body tr[data-session="1"]`)),
		// kept for the tab: a reload does not ask again
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-body tr[data-session="1"]`)),
		until(`document.getElementById('live-text').textContent === 'Live' && !document.getElementById('token-dialog').open`),
	)
}

// TestPageWithoutJavaScript: the session list is there without the
// script (when no token is set), with a transcript link per session.
func TestPageWithoutJavaScript(t *testing.T) {
	ctx := browser(t, 1280, 800)
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	api := admin.New(srv, admin.Options{})
	web := httptest.NewServer(api)
	t.Cleanup(func() {
		api.EndStreams()
		web.Close()
		_ = srv.Close()
	})
	c, err := ftp.Dial(srv.Addr(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("dave", "pw"); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
	if _, err := srv.WaitSessionEnd(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "the page without JavaScript",
		noScript(),
		chromedp.Navigate(web.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-body tr[data-session="1"]`)),
	)
	list := text(t, ctx, `#sessions`)
	shot(t, ctx, "no-javascript")
	for _, want := range []string{"dave", "quit", "Each number opens the session's transcript as text"} {
		if !strings.Contains(list, want) {
			t.Errorf("without JavaScript the list lacks %q:\n%s", want, list)
		}
	}
	run(t, ctx, "a transcript link",
		chromedp.Click(chromedp.CSS(`#sessions-body tr[data-session="1"] a.pick`)),
		chromedp.WaitVisible(chromedp.CSS(`pre`)),
	)
	transcript := text(t, ctx, `pre`)
	for _, want := range []string{"# mockftpd session 1 from 127.0.0.1:", "> USER dave", "< 230", "* session ended: quit"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("the text transcript lacks %q:\n%s", want, transcript)
		}
	}
}

// TestPageActions: load a built-in scenario, refuse a bad uploaded one
// with its located error, load a good one, and reset, all from the page.
func TestPageActions(t *testing.T) {
	ctx := browser(t, 1280, 800)
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	api := admin.New(srv, admin.Options{})
	web := httptest.NewServer(api)
	t.Cleanup(func() {
		api.EndStreams()
		web.Close()
		_ = srv.Close()
	})
	c := testclient.Login(t, srv.Addr(), "erin", "pw")
	_ = c.Quit()
	if _, err := srv.WaitSessionEnd(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	message := `document.getElementById('message').textContent`
	run(t, ctx, "load a built-in scenario",
		chromedp.Navigate(web.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-body tr[data-session="1"]`)),
		chromedp.Click(chromedp.CSS(`#act-load`)),
		chromedp.WaitVisible(chromedp.CSS(`#load-dialog[open]`)),
		until(`!!document.querySelector('#load-builtin option[value="codes/452-stor"]')`),
		eval(`(s => { s.value = 'codes/452-stor'; s.dispatchEvent(new Event('change')); })(document.getElementById('load-builtin'))`),
		until(`document.getElementById('load-builtin-desc').textContent === 'The first STOR gets 452.'`),
	)
	shot(t, ctx, "load")
	run(t, ctx, "loaded",
		chromedp.Click(chromedp.CSS(`#load-go`)),
		until(`!document.getElementById('load-dialog').open`),
		until(message+`.startsWith('Loaded builtin:codes/452-stor: 1 rules')`),
		until(`document.getElementById('scenario-name').textContent === '452-stor'`),
		// loading reset the server: session 1 is gone
		until(`!document.querySelector('#sessions-body tr[data-session]')`),
	)
	if sc := srv.Scenario(); sc.Name != "452-stor" {
		t.Fatalf("the server serves %q", sc.Name)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(bad, []byte("version: 1\nrules:\n  - whne: {command: STOR}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte(`{"version": 1, "name": "from a file", "rules": [{"when": {"command": "RETR"}, "reply": "550 Gone"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "a bad file",
		chromedp.Click(chromedp.CSS(`#act-load`)),
		chromedp.WaitVisible(chromedp.CSS(`#load-dialog[open]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#load-file`), []string{bad}),
		chromedp.Click(chromedp.CSS(`#load-go`)),
		until(`!document.getElementById('load-error').hidden`),
	)
	if msg := text(t, ctx, `#load-error`); !strings.Contains(msg, `<scenario>:3:5: unknown field "whne"`) {
		t.Errorf("the dialog says %q, want the located error", msg)
	}
	run(t, ctx, "a good file",
		chromedp.SetUploadFiles(chromedp.CSS(`#load-file`), []string{good}),
		chromedp.Click(chromedp.CSS(`#load-go`)),
		until(`!document.getElementById('load-dialog').open`),
		until(`document.getElementById('scenario-name').textContent === 'from a file'`),
		until(`document.querySelector('#rules li.rule pre').textContent.includes('reply: 550 Gone')`),
	)
	c = testclient.Login(t, srv.Addr(), "erin", "pw")
	defer func() { _ = c.Quit() }()
	run(t, ctx, "reset",
		chromedp.WaitVisible(chromedp.CSS(`#sessions-body tr[data-session="1"]`)),
		chromedp.Click(chromedp.CSS(`#act-reset`)),
		chromedp.WaitVisible(chromedp.CSS(`#reset-dialog[open]`)),
		chromedp.Click(chromedp.CSS(`#reset-dialog button[value=reset]`)),
		until(message+`.startsWith('Reset')`),
		until(`!document.querySelector('#sessions-body tr[data-session]')`),
	)
	if n := srv.Journal().Stats().Entries; n != 0 {
		t.Errorf("after the page's reset the journal holds %d entries", n)
	}
}
