// Package store is the database engine of complaintd: it opens PostgreSQL
// (lib/pq) or embedded SQLite (modernc.org/sqlite, no cgo), applies the
// embedded migrations of that dialect, and runs queries through sqlx with
// per-query timeouts, '?' placeholders rebound per driver, and the current
// transaction carried in the context. It knows no domain rules.
package store
