package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/complaintd/complaintd/ops"
	"github.com/complaintd/complaintd/workflow"
)

// complaintd_messages_total counts a failed attempt as failed, and a
// message a stop interrupted not at all: it did not fail, and the next
// start tries it with its attempt given back.
func TestInterruptedMessageIsNotCountedAsFailed(t *testing.T) {
	o := &observer{metrics: ops.NewMetrics(ops.MetricsOptions{}), log: slog.New(slog.DiscardHandler)}
	o.settled(workflow.Settled{}, fmt.Errorf("store: begin: %w", context.Canceled), time.Millisecond)
	o.settled(workflow.Settled{}, errors.New("workflow: ledger 7: no such case"), time.Millisecond)
	o.settled(workflow.Settled{State: workflow.LedgerProcessed}, nil, time.Millisecond)
	got := map[string]float64{}
	families, err := o.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "complaintd_messages_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					got[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	if got["failed"] != 1 || got[workflow.LedgerProcessed] != 1 {
		t.Errorf("messages counted by outcome: %v, want one failed and one processed (the interrupted one not at all)", got)
	}
}
