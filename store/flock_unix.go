//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

var errLockHeld = errors.New("lock held")

// flockExclusive takes an flock(2) on f without blocking. flock locks belong
// to the open file description: two opens in one process exclude each other
// too, and SQLite's own fcntl locks on the database are not disturbed.
func flockExclusive(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLockHeld
		default:
			return err
		}
	}
}
