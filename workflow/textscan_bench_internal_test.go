package workflow

import (
	"fmt"
	"strings"
	"testing"
)

// benchComplaintText is a complaint as the benchmark's parents write it:
// about 1.5 kB of Dutch prose and a greeting.
func benchComplaintText() string {
	return strings.Repeat(fmt.Sprintf("Dit is regel %d van mijn klacht over wat er op de groep is gebeurd. ", 7), 18) +
		"\n\nMet vriendelijke groet,\nOuder 7\n"
}

func BenchmarkSignalsIn(b *testing.B) {
	s := Safeguarding{SignalWords: DefaultSignalWords()}
	s.compile()
	text := "Klacht 7\n" + benchComplaintText()
	b.ReportAllocs()
	for b.Loop() {
		if len(s.signalsIn(text)) != 0 {
			b.Fatal("signal words found in an ordinary complaint")
		}
	}
}

func BenchmarkNDRWording(b *testing.B) {
	text := benchComplaintText()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := ndrWording(text); ok {
			b.Fatal("bounce wording found in an ordinary complaint")
		}
	}
}

func BenchmarkNewText(b *testing.B) {
	text := benchComplaintText()
	b.ReportAllocs()
	for b.Loop() {
		newText(text)
	}
}
