package workflow_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// rusageThread is Linux's RUSAGE_THREAD: the calling thread's use.
const rusageThread = 1

// cpuUsed is the CPU time this process (who: syscall.RUSAGE_SELF) or the
// calling thread (rusageThread) has used; on PostgreSQL the backends' is
// not in it.
func cpuUsed(b *testing.B, who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProcessGroup is the ingest goroutine's work for a batch of 100
// new complaints (a confirmation and a notification each), without IMAP
// and SMTP: what rendering in parallel at the group's end shortens. It
// reports per message the wall time, this process's CPU, and the CPU of
// the ingest goroutine's thread.
func BenchmarkProcessGroup(b *testing.B) {
	const size = 100
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			at := time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam)
			w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(b), Compose: mailbox.Compose,
				Clock: workflow.NewManualClock(at), Settings: testSettings()})
			if err != nil {
				b.Fatal(err)
			}
			uid := uint32(0)
			// The ingest goroutine keeps its thread, so that thread's CPU
			// is the serial part of the work: what bounds the msgs/s of a
			// daemon whose other cores are free, however loaded this
			// machine is.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0, ingest0 := cpuUsed(b, syscall.RUSAGE_SELF), cpuUsed(b, rusageThread)
			b.ResetTimer()
			for range b.N {
				group := make([]workflow.Delivery, size)
				for i := range group {
					uid++
					group[i] = groupMail(uid, at, fmt.Sprintf("From: Ouder %d <ouder%d@example.nl>\r\nSubject: Klacht %d\r\nMessage-ID: <m%d@example.nl>\r\n", uid, uid, uid, uid),
						"De opvang belde niet terug over het ophalen van ons kind.")
				}
				for i, r := range w.ProcessGroup(b.Context(), group) {
					if r.Err != nil || r.Disposition != workflow.Done {
						b.Fatalf("message %d: %+v", i+1, r)
					}
				}
			}
			b.StopTimer()
			perMsg := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N*size) / 1000 }
			b.ReportMetric(perMsg(cpuUsed(b, rusageThread)-ingest0), "ingest-cpu-ms/msg")
			b.ReportMetric(perMsg(b.Elapsed()), "ms/msg")
			b.ReportMetric(perMsg(cpuUsed(b, syscall.RUSAGE_SELF)-cpu0), "cpu-ms/msg")
		})
	}
}
