package main

import (
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// gcNow reads the collector's settings as the runtime holds them.
func gcNow() (percent uint64, limit uint64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// The daemon sets its own collector defaults, unless the operator set GOGC
// or GOMEMLIMIT: then the runtime keeps what the operator asked for.
func TestGCDefaultsYieldToTheOperatorsEnvironment(t *testing.T) {
	oldPercent, oldLimit := gcNow()
	t.Cleanup(func() {
		debug.SetGCPercent(int(oldPercent))
		debug.SetMemoryLimit(int64(oldLimit))
	})
	for _, tc := range []struct {
		name        string
		env         map[string]string
		wantPercent uint64
		wantLimit   uint64
	}{
		{"unset", nil, defaultGCPercent, defaultMemoryLimit},
		{"empty counts as unset", map[string]string{"GOGC": "", "GOMEMLIMIT": ""}, defaultGCPercent, defaultMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "50"}, 77, 123 << 20},
		{"GOGC=off", map[string]string{"GOGC": "off"}, 77, 123 << 20},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 77, 123 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// What the runtime would have made of the operator's
			// environment, here an arbitrary setting the daemon must keep.
			debug.SetGCPercent(77)
			debug.SetMemoryLimit(123 << 20)
			applyGCDefaults(func(k string) string { return tc.env[k] }, slog.New(slog.DiscardHandler))
			if p, l := gcNow(); p != tc.wantPercent || l != tc.wantLimit {
				t.Errorf("GOGC %d, memory limit %d MiB; want %d, %d MiB", p, l>>20, tc.wantPercent, tc.wantLimit>>20)
			}
		})
	}
}
