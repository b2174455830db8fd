package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// exampleFiles are every scenario file of the repository: testdata/examples
// and the ready-made scenarios (../scenarios and its folders).
func exampleFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, root := range []string{filepath.Join("testdata", "examples"), filepath.Join("..", "scenarios")} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")) {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 20 {
		t.Fatalf("only %d scenario files", len(files))
	}
	return files
}

// comparable clears what legitimately differs between two parses of the
// same scenario: where it came from.
func comparable(sc *Scenario) *Scenario {
	c := *sc
	c.Source = ""
	c.Rules = append([]Rule(nil), sc.Rules...)
	for i := range c.Rules {
		c.Rules[i].Pos = ""
	}
	return &c
}

func roundTrip(t *testing.T, sc *Scenario) {
	t.Helper()
	out, err := sc.Format()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("formatted.yaml", out)
	if err != nil {
		t.Fatalf("formatted scenario does not parse: %v\n%s", err, out)
	}
	if a, b := comparable(sc), comparable(again); !reflect.DeepEqual(a, b) {
		t.Errorf("round trip differs:\n%s\nbefore: %+v\nafter:  %+v", out, a, b)
	}
	out2, err := again.Format()
	if err != nil || string(out2) != string(out) {
		t.Errorf("formatting is not stable:\n%s\n---\n%s", out, out2)
	}
}

func TestRoundTripExamples(t *testing.T) {
	for _, f := range exampleFiles(t) {
		t.Run(f, func(t *testing.T) {
			sc, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, sc)
		})
	}
}

func TestRoundTripBuilder(t *testing.T) {
	keep := false
	sc := New("all fields").Describe("line one\nline two\n").WithSeed(-5).
		UserHome("alice", "p w", "/home/alice").
		File("/bin.dat", []byte{0, 1, 2, 255}).
		File("/text.txt", []byte("  leading spaces and trailing  \n")).
		GeneratedFile("/gen", 12345).
		Rule(On("STOR", "APPE").ArgGlob("**.csv").User("a*").Session(3).Nth(2).Global().Probability(0.25).
			Times(4).NextState("s1").Named("everything").
			DelayRange(0, 5*time.Millisecond).Reply(452, " odd  spacing ").Reply(226, "two\nlines").
			Then(ThenReset)).
		Rule(On("STOR").State("s1").Data(DataFault{
			After: new(int64(1000)), End: EndStall, Reply: &Reply{}, KeepPartial: &keep, Rate: 3 << 20, Chunk: 7,
			ChunkDelay: time.Millisecond, Corrupt: 100,
			DelayPreliminary: DelaySpec{Min: time.Second}, DelayData: DelaySpec{Max: time.Second},
			DelayFinal: DelaySpec{Min: 1, Max: 2},
		}).Preliminary(150, "")).
		Rule(On("RETR").Final(226, "")).
		Rule(On("PASV").Data(DataFault{AdvertiseHost: "10.1.2.3", AdvertisePort: 21})).
		Rule(On("LIST").Data(DataFault{Refuse: Refuse425})).
		Rule(On("NLST").Arg("").Pass().Then(ThenStall)).
		Rule(On("SITE").ReplyRaw("299 custom\r\n").ReplyRaw("garbage")).
		Rule(On("MKD").Responses(Step{Replies: []Reply{{Code: 550, Raw: "550 x\r\n"}}}, Step{Then: ThenClose}, Step{}).Exhausted(ExhaustedCycle)).
		Rule(On("PWD").Responses(PassStep())).
		Rule(OnConnect().Nth(2).Reply(421, "")).
		Expecting(Expectation{Name: "n", Command: "RETR", Arg: &ArgMatch{Regex: "^/a"}, User: "bob", AtLeast: ptr(1), AtMost: ptr(3)}).
		Expecting(Expectation{NoCommandAfter: 530})
	sc.Settings = Settings{Banner: "hi", Features: []string{"UTF8", "MLST type*;size*;"}, Syst: "UNIX", Disable: []string{"EPSV"}, IdleTimeout: Duration(90 * time.Second)}
	sc.Files = append(sc.Files, File{Path: "/old", Content: "x", ModTime: time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)})
	sc, err := sc.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, sc)
}

func ptr(n int) *int { return &n }

func TestLoadResolvesFrom(t *testing.T) {
	sc, err := Load(filepath.Join("testdata", "examples", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var from string
	for _, f := range sc.Files {
		if f.From != "" {
			from = f.From
		}
	}
	want, _ := filepath.Abs(filepath.Join("testdata", "examples", "fixtures"))
	if from != want {
		t.Errorf("from = %q, want %q", from, want)
	}
	if sc.Source != filepath.Join("testdata", "examples", "full.yaml") {
		t.Errorf("source %q", sc.Source)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte("version: 1\nfiles:\n  - {path: /m, from: ./missing}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p)
	if want := p + ":3:22: from: " + filepath.Join(dir, "missing") + " does not exist"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("missing file: %v", err)
	}
}
