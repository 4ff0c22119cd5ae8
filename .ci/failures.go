//go:build ignore

// failures prints the output of every failed test from `go test -json` on
// stdin, so a CI log shows why a test failed rather than every test's logs.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	outputs := map[string][]string{}
	var failed []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Println(sc.Text()) // build errors arrive as plain text
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			outputs[key] = append(outputs[key], e.Output)
		case "fail":
			failed = append(failed, key)
		}
	}
	for _, key := range failed {
		lines := outputs[key]
		fmt.Printf("==== FAIL %s (%d lines of output)\n", key, len(lines))
		if len(lines) > 300 {
			lines = append(lines[:100:100], append([]string{"[...]\n"}, lines[len(lines)-200:]...)...)
		}
		fmt.Print(strings.Join(lines, ""))
	}
}
