//go:build !unix

package store

import (
	"errors"
	"os"
)

var errLockHeld = errors.New("lock held")

// flockExclusive is not available here: one daemon per SQLite file is then
// up to the operator.
func flockExclusive(*os.File) error { return nil }
