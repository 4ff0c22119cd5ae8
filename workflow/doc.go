// Package workflow is the domain of complaintd: it turns fetched messages into
// complaint cases and follows the organisation's complaint procedure. It
// declares the small interfaces it needs (Database, Renderer, Composer,
// Transport, Clock) and imports no other complaintd package.
package workflow
