// Package ops is what an operator's tools look at: the HTTP endpoints
// /healthz, /readyz and /metrics (Prometheus), and systemd's sd_notify
// readiness and watchdog protocol.
//
// It knows nothing of mail or cases: cmd/complaintd feeds it counts through
// Metrics' methods, a Snapshot function for what the database holds, and
// readiness checks as plain functions.
package ops
