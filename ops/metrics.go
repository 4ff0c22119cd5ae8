package ops

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Snapshot is what the database holds at one moment, for the gauges.
type Snapshot struct {
	Outbox       map[string]int // rows by state
	OldestUnsent time.Time      // created_at of the oldest row still to be sent; zero when none
	Cases        map[string]int // open cases by status
	PastDeadline int            // open cases whose six weeks have passed
	Scheduled    map[string]int // scheduled items done, by kind
}

// SnapshotFunc reads a Snapshot; it is called on every scrape.
type SnapshotFunc func(ctx context.Context) (Snapshot, error)

// IMAPFunc reports the IMAP connection and when its last good round ended.
type IMAPFunc func() (connected bool, lastRound time.Time)

// MetricsOptions are the sources NewMetrics reads from; any may be nil.
type MetricsOptions struct {
	Version, Revision string // labels of complaintd_build_info
	Snapshot          SnapshotFunc
	IMAP              IMAPFunc
	// OAuth2 reports the access token's expiry and whether the last attempt
	// to get one worked; nil without OAuth2.
	OAuth2 func() (expiry time.Time, ok bool)
	Log    *slog.Logger
}

// Metrics are the daemon's Prometheus metrics, in a registry of their own.
type Metrics struct {
	reg *prometheus.Registry

	messages   *prometheus.CounterVec
	processing prometheus.Histogram
	sends      *prometheus.CounterVec
	smtpSent   prometheus.Gauge
}

// NewMetrics registers every metric.
func NewMetrics(o MetricsOptions) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaintd_messages_total",
			Help: "Inbound messages settled by this process, by outcome (processed, ignored, quarantined, failed) and reason kind.",
		}, []string{"outcome", "reason"}),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "complaintd_message_processing_seconds",
			Help:    "Time to process one inbound message, parsing to commit.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaintd_smtp_sends_total",
			Help: "Messages handed to the SMTP server, by result: sent, temporary (retried later) or permanent (failed for good).",
		}, []string{"result"}),
		smtpSent: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "complaintd_smtp_last_sent_timestamp_seconds",
			Help: "When the SMTP server last accepted a message (Unix time; 0 before the first).",
		}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "complaintd_build_info",
		Help:        "Always 1; the labels name the build.",
		ConstLabels: prometheus.Labels{"version": o.Version, "revision": o.Revision},
	})
	info.Set(1)
	m.reg.MustRegister(m.messages, m.processing, m.sends, m.smtpSent, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{"processed", "ignored", "quarantined", "failed"} {
		m.messages.WithLabelValues(o, "") // present at 0 from the start
	}
	for _, r := range []string{"sent", "temporary", "permanent"} {
		m.sends.WithLabelValues(r)
	}
	if o.IMAP != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "complaintd_imap_connected",
			Help: "1 while the IMAP connection is up, else 0.",
		}, func() float64 { up, _ := o.IMAP(); return boolFloat(up) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "complaintd_imap_last_round_timestamp_seconds",
				Help: "When the last IMAP round finished without error (Unix time; 0 before the first).",
			}, func() float64 { _, at := o.IMAP(); return unixOrZero(at) }))
	}
	if o.OAuth2 != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "complaintd_oauth2_token_expiry_timestamp_seconds",
			Help: "When the OAuth2 access token in use (IMAP and SMTP) expires (Unix time; 0 before the first).",
		}, func() float64 { at, _ := o.OAuth2(); return unixOrZero(at) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "complaintd_oauth2_token_ok",
				Help: "1 when the last attempt to get an OAuth2 access token worked, 0 when it failed (revoked, expired, unreachable).",
			}, func() float64 { _, ok := o.OAuth2(); return boolFloat(ok) }))
	}
	if o.Snapshot != nil {
		log := o.Log
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		m.reg.MustRegister(&snapshotCollector{read: o.Snapshot, log: log})
	}
	return m
}

// Registry is where the metrics are registered, for the HTTP handler.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// MessageSettled counts one inbound message and how long it took.
func (m *Metrics) MessageSettled(outcome, reason string, took time.Duration) {
	m.messages.WithLabelValues(outcome, reason).Inc()
	m.processing.Observe(took.Seconds())
}

// SendResult counts one SMTP attempt; result is sent, temporary or permanent.
func (m *Metrics) SendResult(result string, at time.Time) {
	m.sends.WithLabelValues(result).Inc()
	if result == "sent" {
		m.smtpSent.Set(float64(at.Unix()))
	}
}

func unixOrZero(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// snapshotCollector turns a database Snapshot into gauges at scrape time,
// so they are never stale and several daemons on one database agree.
type snapshotCollector struct {
	read SnapshotFunc
	log  *slog.Logger
}

var (
	descOutbox = prometheus.NewDesc("complaintd_outbox_messages",
		"Outgoing messages in the outbox, by state.", []string{"state"}, nil)
	descOldest = prometheus.NewDesc("complaintd_outbox_oldest_unsent_age_seconds",
		"Age of the oldest message still waiting to be sent (0 when none).", nil, nil)
	descCases = prometheus.NewDesc("complaintd_cases_open",
		"Open cases, by status.", []string{"status"}, nil)
	descPast = prometheus.NewDesc("complaintd_cases_past_deadline",
		"Open cases whose six-week term has passed.", nil, nil)
	descSched = prometheus.NewDesc("complaintd_scheduled_items",
		"Scheduled items done (reminders, progress messages, deadline notices, digests, …), by kind.", []string{"kind"}, nil)
	descUp = prometheus.NewDesc("complaintd_database_up",
		"1 when the database answered the scrape's queries, else 0.", nil, nil)
)

func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutbox, descOldest, descCases, descPast, descSched, descUp} {
		ch <- d
	}
}

func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.read(ctx)
	if err != nil {
		c.log.Warn("metrics: reading the database failed", "err", err)
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for state, n := range s.Outbox {
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(n), state)
	}
	age := 0.0
	if !s.OldestUnsent.IsZero() {
		age = max(time.Since(s.OldestUnsent).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
	for status, n := range s.Cases {
		ch <- prometheus.MustNewConstMetric(descCases, prometheus.GaugeValue, float64(n), status)
	}
	ch <- prometheus.MustNewConstMetric(descPast, prometheus.GaugeValue, float64(s.PastDeadline))
	for kind, n := range s.Scheduled {
		ch <- prometheus.MustNewConstMetric(descSched, prometheus.GaugeValue, float64(n), kind)
	}
}
