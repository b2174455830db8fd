package scenarios_test

import (
	"fmt"
	"strings"

	"github.com/mockftpd/mockftpd/scenarios"
)

func ExampleLoad() {
	sc, err := scenarios.Load("codes/452-stor")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sc.Source, "-", sc.Description)
	fmt.Println(sc.Rules[0].When.Commands, sc.Rules[0].Steps[0].Replies[0].Code)
	// Output:
	// builtin:codes/452-stor - The first STOR gets 452.
	// [STOR] 452
}

func ExampleList() {
	for _, in := range scenarios.List() {
		if strings.HasPrefix(in.Name, "codes/530") {
			fmt.Printf("%s: %s\n", in.Name, in.Description)
		}
	}
	// Output:
	// codes/530-pass: PASS gets 530.
	// codes/530-user: USER gets 530.
}

func ExampleLoadFile() {
	// What a flag or option taking a scenario file accepts: a path on
	// disk, or builtin:NAME for the library.
	sc, err := scenarios.LoadFile("builtin:busy-file")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sc.Name, len(sc.Rules), sc.Files[0].Path)
	// Output:
	// busy-file 1 /data/export.csv
}

func ExampleReadFile() {
	data, err := scenarios.ReadFile("busy-file")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.SplitN(string(data), "\n", 2)[0])
	// Output:
	// # A file that is busy (450) twice, then available.
}
