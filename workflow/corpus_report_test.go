package workflow

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/mailbox"
)

// The corpus report (issue 12): the classifier and the reply extractor
// measured on every labelled message we have — ../shared/corpus and the
// project's testdata/corpus/{bounces,machine,replies} and testdata/clients —
// printed as a table by `make corpus`. Every row holds in every test run.

// corpusExpect is what one message of the corpus should come to.
type corpusExpect struct {
	rel        string // path shown in the report
	path       string
	class      string // bounce-failed, bounce-delayed, dsn-success, autoreply, machine, human
	recipients []string
	ids        []string
}

// The thresholds of issue 12, in percent.
const (
	minBouncesRecognised = 99.0
	minBounceOutcome     = 99.0
	minBounceLinked      = 97.0
	minMachineRecognised = 95.0
	minReplyExact        = 85.0
	minReplyNearlyExact  = 95.0
)

// projectTestdata is the repository's testdata folder, next to go.mod.
func projectTestdata(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test")
		}
		dir = parent
	}
}

// sharedExpectations turns the shared corpus's README tables into
// expectations: every bounce, auto-reply and person's message.
func sharedExpectations(tb testing.TB, root string) []corpusExpect {
	tb.Helper()
	var out []corpusExpect
	for rel, want := range corpusExpectations(tb, root) {
		if strings.HasPrefix(filepath.Base(rel), "erp-") {
			continue // bodies without a header
		}
		e := corpusExpect{rel: "shared/" + rel, path: filepath.Join(root, filepath.FromSlash(rel))}
		switch want {
		case "bounce-failed", "bounce-delayed", "dsn-success", "autoreply":
			e.class = want
		case "reply", "not-bounce", "complaint", "staff-reply", "forward":
			e.class = "human"
		default:
			continue // mime: damaged structure, no class asserted
		}
		if fb, ok := failedBounces[filepath.Base(rel)]; ok {
			e.recipients = []string{fb.recipient}
			if fb.returnedID != "" {
				e.ids = []string{fb.returnedID}
			}
		}
		out = append(out, e)
	}
	return out
}

// sidecarExpectations reads NAME.expect files under dir.
func sidecarExpectations(tb testing.TB, testdata, dir string) []corpusExpect {
	tb.Helper()
	matches, err := filepath.Glob(filepath.Join(testdata, dir, "*.expect"))
	if err != nil {
		tb.Fatal(err)
	}
	// Every message file of the folder has its sidecar: none goes unmeasured.
	entries, err := os.ReadDir(filepath.Join(testdata, dir))
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && n != "README.md" && !strings.HasSuffix(n, ".expect") &&
			!slices.Contains(matches, filepath.Join(testdata, dir, n+".expect")) {
			tb.Errorf("%s/%s has no %s.expect", dir, n, n)
		}
	}
	var out []corpusExpect
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			tb.Fatal(err)
		}
		e := corpusExpect{path: strings.TrimSuffix(m, ".expect")}
		e.rel, _ = filepath.Rel(filepath.Dir(testdata), e.path)
		for line := range strings.Lines(string(b)) {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch v = strings.TrimSpace(v); strings.TrimSpace(k) {
			case "class":
				e.class = v
			case "recipient":
				e.recipients = append(e.recipients, v)
			case "original-id":
				e.ids = append(e.ids, v)
			}
		}
		if e.class == "" {
			tb.Fatalf("%s: no class line", m)
		}
		out = append(out, e)
	}
	return out
}

// clientExpectations: every NAME.eml under testdata/clients is a person's.
func clientExpectations(tb testing.TB, testdata string) []corpusExpect {
	tb.Helper()
	var out []corpusExpect
	_ = filepath.WalkDir(filepath.Join(testdata, "clients"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".eml") {
			rel, _ := filepath.Rel(filepath.Dir(testdata), path)
			out = append(out, corpusExpect{rel: rel, path: path, class: "human"})
		}
		return nil
	})
	return out
}

// reportRow is one line of the table.
type reportRow struct {
	name      string
	got, of   int
	threshold float64 // percent; -1: a count that must be 0
	enforced  bool    // fails the test when missed
	misses    []string
}

func (r *reportRow) add(ok bool, miss string) {
	r.of++
	if ok {
		r.got++
	} else {
		r.misses = append(r.misses, miss)
	}
}

func (r reportRow) share() float64 {
	if r.of == 0 {
		return 100
	}
	return 100 * float64(r.got) / float64(r.of)
}

func (r reportRow) passes() bool {
	if r.threshold < 0 {
		return r.got == 0
	}
	return r.share() >= r.threshold
}

// machineRows classifies every labelled message.
func machineRows(tb testing.TB) []*reportRow {
	tb.Helper()
	testdata := projectTestdata(tb)
	all := sharedExpectations(tb, corpusRoot(tb))
	all = append(all, sidecarExpectations(tb, testdata, "corpus/bounces")...)
	all = append(all, sidecarExpectations(tb, testdata, "corpus/machine")...)
	all = append(all, clientExpectations(tb, testdata)...)
	slices.SortFunc(all, func(a, b corpusExpect) int { return strings.Compare(a.rel, b.rel) })
	recognised := &reportRow{name: "bounces recognised", threshold: minBouncesRecognised, enforced: true}
	outcome := &reportRow{name: "bounces with the right outcome", threshold: minBounceOutcome, enforced: true}
	linked := &reportRow{name: "failed recipient or original Message-ID found", threshold: minBounceLinked, enforced: true}
	machine := &reportRow{name: "other machine mail recognised (strong signs)", threshold: minMachineRecognised, enforced: true}
	person := &reportRow{name: "person's mail taken for a machine's", threshold: -1, enforced: true}
	weakPerson := &reportRow{name: "person's mail with weak signs only (needs an answer to ours)", threshold: -2}
	for _, e := range all {
		b, err := os.ReadFile(e.path)
		if err != nil {
			tb.Fatal(err)
		}
		m, err := parseMail(b)
		if err != nil {
			tb.Fatalf("%s: %v", e.rel, err)
		}
		c := classify(m, corpusIdentity)
		got := fmt.Sprintf("%s: want %s, got %s %s (%s)", e.rel, e.class, c.Class, c.Outcome, c.Reason)
		switch e.class {
		case "bounce-failed", "bounce-delayed", "dsn-success":
			want := map[string]string{"bounce-failed": OutcomeFailed, "bounce-delayed": OutcomeDelayed, "dsn-success": OutcomeDelivered}[e.class]
			recognised.add(c.Class == ClassBounce, got)
			outcome.add(c.Class == ClassBounce && c.Outcome == want, got)
			if e.class != "dsn-success" && len(e.recipients)+len(e.ids) > 0 {
				found := slices.ContainsFunc(e.recipients, func(a string) bool { return slices.Contains(c.Recipients, a) }) ||
					slices.ContainsFunc(e.ids, func(id string) bool { return slices.Contains(c.OriginalIDs, id) })
				linked.add(found, fmt.Sprintf("%s: want %q or %q, got %q and %q", e.rel, e.recipients, e.ids, c.Recipients, c.OriginalIDs))
			}
		case "autoreply", "machine":
			machine.add(c.Class == ClassAutoReply && !c.Weak, got)
		case "human":
			taken := c.Class != ClassHuman && !(c.Class == ClassAutoReply && c.Weak)
			person.add(!taken, got)
			weakPerson.add(!c.Weak, got)
		default:
			tb.Fatalf("%s: unknown class %q", e.rel, e.class)
		}
	}
	// Counted as misses: a person's mail taken for a machine's.
	person.got = person.of - person.got
	weakPerson.got = weakPerson.of - weakPerson.got
	return []*reportRow{recognised, outcome, linked, machine, person, weakPerson}
}

// parseMail parses as the daemon does.
func parseMail(b []byte) (Mail, error) {
	return mailbox.Parse(b)
}

// replyRows runs the extractor over every expected text.
func replyRows(tb *testing.T) []*reportRow {
	tb.Helper()
	root := corpusRoot(tb)
	type sample struct{ rel, want, text string }
	var samples []sample
	files := corpusMessages(tb, root)
	for _, dir := range []string{"replies", "nl"} {
		matches, err := filepath.Glob(filepath.Join(root, dir, "*.expected.txt"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range matches {
			exp := dir + "/" + filepath.Base(m)
			stem := strings.TrimSuffix(exp, ".expected.txt")
			i := slices.IndexFunc(files, func(f string) bool { return strings.TrimSuffix(f, filepath.Ext(f)) == stem })
			if i < 0 {
				tb.Fatalf("%s: no message file", exp)
			}
			want := string(readCorpusFile(tb, root, exp))
			if c, ok := upstreamContradictions[exp]; ok {
				want = c.want
			}
			samples = append(samples, sample{"shared/" + files[i], want, corpusText(tb, root, files[i])})
		}
	}
	testdata := projectTestdata(tb)
	walk := func(dir string, fn fs.WalkDirFunc) {
		_ = filepath.WalkDir(filepath.Join(testdata, dir), fn)
	}
	for _, dir := range []string{"clients", filepath.Join("corpus", "replies")} {
		walk(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".expected.txt") {
				return nil
			}
			eml := strings.TrimSuffix(path, ".expected.txt") + ".eml"
			raw, err := os.ReadFile(eml)
			if err != nil {
				tb.Fatalf("%s: %v", path, err)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				tb.Fatal(err)
			}
			m, err := parseMail(raw)
			if err != nil {
				tb.Fatalf("%s: %v", eml, err)
			}
			rel, _ := filepath.Rel(filepath.Dir(testdata), eml)
			samples = append(samples, sample{rel, string(want), m.Text()})
			return nil
		})
	}
	exact := &reportRow{name: "reply text exact", threshold: minReplyExact}
	nearly := &reportRow{name: "reply text nearly exact (≤ 1 line apart)", threshold: minReplyNearlyExact}
	for _, s := range samples {
		got := newText(s.text)
		miss := fmt.Sprintf("%s:\n%s\n---- want:\n%s", s.rel, normaliseText(got), normaliseText(s.want))
		exact.add(normaliseText(got) == normaliseText(s.want), miss)
		nearly.add(nearlyExact(got, s.want), miss)
	}
	exact.enforced, nearly.enforced = true, true
	return []*reportRow{exact, nearly}
}

// nearlyExact: equal after the normalisation of normaliseText with every
// run of white space inside a line made one space and empty lines dropped,
// or at most one line apart (one line added, removed or changed).
func nearlyExact(got, want string) bool {
	a, b := looseLines(got), looseLines(want)
	return lineDistance(a, b) <= 1
}

func looseLines(s string) []string {
	var out []string
	for l := range strings.Lines(normaliseText(s)) {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// lineDistance is the edit distance between two texts counted in lines.
func lineDistance(a, b []string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// printReport writes the table and the misses of every row.
func printReport(tb testing.TB, rows []*reportRow) {
	tb.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-62s %6s %6s %8s  %-10s %s\n", "corpus report", "got", "of", "share", "threshold", "")
	for _, r := range rows {
		th, verdict := "", "ok"
		switch {
		case r.threshold == -1:
			th = "= 0"
		case r.threshold == -2:
			th = "(info)"
		default:
			th = fmt.Sprintf("≥ %.0f%%", r.threshold)
		}
		if r.threshold != -2 && !r.passes() {
			verdict = "FAIL"
			if !r.enforced {
				verdict = "below (not enforced)"
			}
		}
		share := fmt.Sprintf("%.1f%%", r.share())
		if r.threshold < 0 {
			share = "-"
		}
		fmt.Fprintf(&b, "%-62s %6d %6d %8s  %-10s %s\n", r.name, r.got, r.of, share, th, verdict)
	}
	fmt.Fprint(tb.Output(), b.String())
	for _, r := range rows {
		for _, m := range r.misses {
			fmt.Fprintf(tb.Output(), "  %s | %s\n", r.name, m)
		}
	}
}

func checkRows(t *testing.T, rows []*reportRow) {
	t.Helper()
	for _, r := range rows {
		if r.enforced && r.threshold != -2 && !r.passes() {
			t.Errorf("%s: %d of %d (%.1f%%), threshold %v", r.name, r.got, r.of, r.share(), r.threshold)
		}
	}
}

// TestCorpusReport prints the report `make corpus` shows and fails under
// the thresholds.
func TestCorpusReport(t *testing.T) {
	rows := append(machineRows(t), replyRows(t)...)
	printReport(t, rows)
	checkRows(t, rows)
}
