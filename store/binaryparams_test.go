package store_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// Mail bytes go to PostgreSQL in binary (lib/pq's binary_parameters=yes), not
// as hex text twice their size, unless the database URL says otherwise.
func TestPostgresSessionsSendBytesInBinaryUnlessTheURLSaysOtherwise(t *testing.T) {
	for _, c := range []struct {
		url  string
		want bool
	}{
		{"postgres://u@db.example/complaints?sslmode=verify-full", true},
		{"postgres://u@db.example/complaints?sslmode=verify-full&binary_parameters=no", false},
		{"postgresql://u@db.example/complaints?binary_parameters=off", false},
		{"postgres://u@db.example/complaints?binary_parameters=yes", true},
	} {
		got, err := store.BinaryParameters(c.url)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if got != c.want {
			t.Errorf("%s: binary parameters %v, want %v", c.url, got, c.want)
		}
	}
}

// A message holding every byte value comes back from ledger.raw and
// outbox.raw exactly as it went in, with the parameters sent in binary (the
// default) and as text.
func TestEveryByteValueRoundTripsThroughTheMailColumns(t *testing.T) {
	raw := make([]byte, 0, 3*256)
	for range 3 {
		for b := range 256 {
			raw = append(raw, byte(b))
		}
	}
	urls := map[string]string{}
	for _, d := range storetest.Dialects(t) {
		urls[d] = storetest.URL(t, d)
	}
	if slices.Contains(storetest.Dialects(t), store.Postgres) {
		urls["postgres, binary_parameters=no"] = storetest.URL(t, store.Postgres) + "&binary_parameters=no"
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
			if _, err := db.Exec(ctx, `INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, "INBOX", 1, 1, now, len(raw), "sum", raw, "pending", now, now); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO outbox (kind, mail_from, rcpt_to, message_id, raw, state, next_attempt_at, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, "ack", "a@example.nl", "b@example.nl", "<m@example.nl>", raw, "queued", now, now); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"ledger", "outbox"} {
				var got []byte
				if err := db.Get(ctx, &got, `SELECT raw FROM `+table); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, raw) {
					t.Errorf("%s.raw: %d bytes back, not the %d sent (first difference at %d)", table, len(got), len(raw), firstDiff(got, raw))
				}
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
