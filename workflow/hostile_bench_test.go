package workflow_test

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// The limits every hostile shape must stay within (issue 9, README
// "Performance"): the benchmark fails when one is crossed.
const (
	hostileMaxHeap = 256 << 20
	hostileMaxTime = 10 * time.Second
)

// BenchmarkHostile measures, for each shape of issue 9, parsing alone
// (mailbox.Parse) and processing end to end (workflow.Process on SQLite
// with the real templates: ledger, case, messages, rendered outbox). It
// reports the time and the peak heap (live and not yet swept objects,
// sampled every millisecond through runtime/metrics, so a spike shorter
// than that can be missed), the message itself included.
//
//	go test -run '^$' -bench Hostile -benchtime 1x ./workflow/
func BenchmarkHostile(b *testing.B) {
	for _, s := range mailtest.HostileShapes() {
		b.Run(s.Name+"/parse", func(b *testing.B) {
			raw := s.Build()
			b.ResetTimer()
			for range b.N {
				measure(b, func() {
					if _, err := mailbox.Parse(raw); err != nil {
						b.Fatal(err)
					}
				})
			}
		})
		b.Run(s.Name+"/process", func(b *testing.B) {
			raw := s.Build()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				w := benchWorkflow(b)
				b.StartTimer()
				d := workflow.Delivery{Mailbox: "INBOX", UIDValidity: 7, UID: uint32(i + 1), InternalDate: time.Now(), Raw: raw}
				measure(b, func() {
					disp, err := w.Process(b.Context(), d)
					if err != nil || disp != workflow.Done {
						b.Fatalf("Process = %v, %v", disp, err)
					}
				})
			}
		})
	}
}

// measure runs f once and reports its time and peak heap.
func measure(b *testing.B, f func()) {
	b.Helper()
	runtime.GC()
	stop := heapPeak()
	start := time.Now()
	f()
	elapsed := time.Since(start)
	peak := stop()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(elapsed.Seconds(), "s")
	if peak > hostileMaxHeap || elapsed > hostileMaxTime {
		b.Errorf("%s: %.0f MB peak heap, %s: over the limits (%d MB, %s)", b.Name(),
			float64(peak)/(1<<20), elapsed.Round(time.Millisecond), hostileMaxHeap>>20, hostileMaxTime)
	}
}

// benchWorkflow is a workflow on a fresh SQLite database with the real
// templates and one handler.
func benchWorkflow(b *testing.B) *workflow.Workflow {
	b.Helper()
	db := storetest.Open(b, store.SQLite)
	set, err := templates.New("")
	if err != nil {
		b.Fatal(err)
	}
	w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: set, Compose: mailbox.Compose,
		Clock: workflow.NewManualClock(time.Now()), Settings: testSettings()})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// heapPeak samples the heap until stop is called and returns the highest
// value seen.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var peak atomic.Uint64
	peak.Store(read())
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		if v := read(); v > peak.Load() {
			peak.Store(v)
		}
		return peak.Load()
	}
}
