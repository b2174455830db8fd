package rules

import (
	"strconv"
	"testing"

	"github.com/mockftpd/mockftpd/scenario"
)

// The rule-index benchmarks match the request of benchMatch (STOR
// /out/a.csv, fired by a rule with the glob /out/*) behind 10,000 rules
// that cannot fire for it. BenchmarkMatch1Rule (match_test.go) is the
// reference: with the index, both should cost about the same.

// indexBenchVerbs are verbs the benchmark request never uses.
var indexBenchVerbs = []string{"SITE", "RNFR", "RNTO", "MKD", "RMD", "SIZE", "MDTM", "APPE", "STOU", "CWD", "CDUP", "REST", "ALLO"}

func benchIndexed(b *testing.B, rule func(i int) *scenario.RuleBuilder) {
	sc := scenario.New("bench-index")
	for i := range 10000 {
		sc.Rule(rule(i))
	}
	sc.Rule(scenario.On("STOR").ArgGlob("/out/*").Reply(452, ""))
	if err := sc.Validate(); err != nil {
		b.Fatal(err)
	}
	s := newRuntime(sc).NewSession()
	req := Request{Verb: "STOR", Arg: "/out/a.csv", User: "alice"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok := s.Match(req); !ok {
			b.Fatal("no match")
		}
	}
}

// BenchmarkMatch10000RulesOtherVerbs: 10,000 rules on verbs other than the
// request's, each with an exact argument.
func BenchmarkMatch10000RulesOtherVerbs(b *testing.B) {
	benchIndexed(b, func(i int) *scenario.RuleBuilder {
		return scenario.On(indexBenchVerbs[i%len(indexBenchVerbs)]).Arg("/never-sent-"+strconv.Itoa(i)).Reply(550, "")
	})
}

// BenchmarkMatch10000RulesSameVerbOtherArgs: 10,000 rules on the request's
// verb, each with an exact argument the request does not use (the common
// large scenario: many files, one rule each).
func BenchmarkMatch10000RulesSameVerbOtherArgs(b *testing.B) {
	benchIndexed(b, func(i int) *scenario.RuleBuilder {
		return scenario.On("STOR").Arg("/never-sent-"+strconv.Itoa(i)).Reply(550, "")
	})
}

// BenchmarkMatch10000RulesAnyVerbOtherArgs: 10,000 rules for any verb, each
// with an exact argument the request does not use.
func BenchmarkMatch10000RulesAnyVerbOtherArgs(b *testing.B) {
	benchIndexed(b, func(i int) *scenario.RuleBuilder {
		return scenario.On().Arg("/never-sent-"+strconv.Itoa(i)).Reply(550, "")
	})
}

// BenchmarkMatch10000RulesSameVerbExactHit: 10,000 rules on the request's verb with
// an exact argument, of which the request's argument has one (with an nth
// that has passed): the index must still visit that one.
func BenchmarkMatch10000RulesSameVerbExactHit(b *testing.B) {
	benchIndexed(b, func(i int) *scenario.RuleBuilder {
		if i == 5000 {
			return scenario.On("STOR").Arg("/out/a.csv").Nth(1).Reply(551, "")
		}
		return scenario.On("STOR").Arg("/never-sent-"+strconv.Itoa(i)).Reply(550, "")
	})
}

// BenchmarkCompile10000Rules is the cost of building the index, paid by
// NewRuntime, Replace, Reset, ClearRules and every PrependRule.
func BenchmarkCompile10000Rules(b *testing.B) {
	sc := scenario.New("bench-compile")
	for i := range 10000 {
		sc.Rule(scenario.On(indexBenchVerbs[i%3]).Arg("/never-sent-"+strconv.Itoa(i)).Reply(550, ""))
	}
	if err := sc.Validate(); err != nil {
		b.Fatal(err)
	}
	reuse := map[int]*crule{}
	for i := range sc.Rules {
		reuse[i] = compileRule(&sc.Rules[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		compile(sc, reuse)
	}
}
