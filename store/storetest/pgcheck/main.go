// Command pgcheck fails unless TEST_DATABASE_URL names a PostgreSQL database
// that answers. CI runs it first, so a missing database is reported as that,
// not as a hundred failing tests.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/complaintd/complaintd/store"
)

func main() {
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		fmt.Fprintln(os.Stderr, "pgcheck: TEST_DATABASE_URL is not set")
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgcheck:", err)
		os.Exit(1)
	}
	defer db.Close()
	if db.Dialect() != store.Postgres {
		fmt.Fprintln(os.Stderr, "pgcheck: TEST_DATABASE_URL is not a PostgreSQL URL")
		os.Exit(1)
	}
	fmt.Println("pgcheck: PostgreSQL answers")
}
