package workflow

import (
	"errors"
	"fmt"
	"log/slog"
)

// Deps is everything the workflow uses from outside.
type Deps struct {
	DB        Database
	Parse     Parser
	Render    Renderer
	Compose   Composer
	Transport Transport // may be nil for tools that never send
	Clock     Clock     // nil is the system clock
	Log       *slog.Logger
	Settings  Settings

	// ComposeFiles and ReadFiles attach files to outgoing mail and read
	// them from inbound mail: a handler's attachments for the parent, a
	// case file for a manager. Without them nothing is attached.
	ComposeFiles FileComposer
	ReadFiles    FileReader

	// Reports renders the annual complaints report for the managers' 1 May
	// reminder (report.Render), which attaches it with ComposeFiles; without
	// both the reminder says how to make the report instead.
	Reports ReportRenderer

	// TransportConfig names the transport's configuration (a hash, no
	// secrets). Mail held because the mail server refused it records it, and
	// is sent again by RetryHeldOnConfigChange once it differs.
	TransportConfig string
}

// Workflow runs the complaint procedure on a database: it processes inbound
// messages, delivers the outbox and answers questions about cases.
type Workflow struct {
	db        Database
	parse     Parser
	render    Renderer
	compose   Composer
	transport Transport
	clock     Clock
	log       *slog.Logger
	set       Settings
	tokens    *tokens

	composeFiles FileComposer
	readFiles    FileReader
	reports      ReportRenderer

	// transportConfig is Deps.TransportConfig.
	transportConfig string

	// outboxWake wakes the outbox loop when something was queued.
	outboxWake chan struct{}
	// handover is the mail grouped batches handed to the outbox.
	handover handover

	// cmds are the commands staff may write; nil: builtinCommands().
	// Tests add entries of their own.
	cmds commandTable
}

// New checks the settings and builds a workflow.
func New(d Deps) (*Workflow, error) {
	if d.DB == nil || d.Parse == nil || d.Render == nil || d.Compose == nil {
		return nil, errors.New("workflow: DB, Parse, Render and Compose are required")
	}
	if err := d.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("workflow: settings: %w", err)
	}
	d.Settings.Safeguarding.compile()
	tk, err := newTokens(d.Settings.Tokens.Secrets, d.Settings.Tokens.MaxAge)
	if err != nil {
		return nil, err
	}
	if d.Clock == nil {
		d.Clock = SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Workflow{
		db: groupDB{d.DB}, parse: d.Parse, render: d.Render, compose: d.Compose, transport: d.Transport,
		clock: d.Clock, log: d.Log, set: d.Settings, tokens: tk,
		outboxWake: make(chan struct{}, 1), transportConfig: d.TransportConfig,
		composeFiles: d.ComposeFiles, readFiles: d.ReadFiles, reports: d.Reports,
	}, nil
}

// wakeOutbox tells the outbox loop there is mail to send.
func (w *Workflow) wakeOutbox() {
	select {
	case w.outboxWake <- struct{}{}:
	default:
	}
}

// Settings returns the settings in force.
func (w *Workflow) Settings() Settings { return w.set }
