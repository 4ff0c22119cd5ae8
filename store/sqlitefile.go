package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// ErrInUse means another process holds the SQLite file: one daemon owns an
// SQLite database (its outbox claims and mailbox lock assume so).
var ErrInUse = errors.New("store: database in use by another complaintd")

// sqlitePath is the file an "sqlite:" URL names.
func sqlitePath(rawURL string) (string, bool) {
	rest, ok := strings.CutPrefix(rawURL, "sqlite:")
	if !ok {
		return "", false
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(rest, "//"), "?")
	return path, true
}

// privateMode is the mode of the database file: it holds every complaint and
// the token secret. SQLite gives its -wal and -shm files the mode of the
// database file, so creating that one 0600 covers all three.
const privateMode fs.FileMode = 0o600

// prepareSQLiteFile creates the database file 0600 if it does not exist yet,
// and takes away group and other access from an existing one and its -wal
// and -shm files. strict makes a file that cannot be tightened an error;
// otherwise (a command that only looks, run by another user) it is left as is.
func prepareSQLiteFile(path string, strict bool) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateMode)
	if errors.Is(err, fs.ErrPermission) && !strict {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: sqlite file %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && st.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err == nil {
			err = os.Chmod(p, st.Mode().Perm()&^0o077)
		}
		if err != nil && strict {
			return fmt.Errorf("store: sqlite file %s is readable by others (%v) and cannot be made private: %w", p, st.Mode().Perm(), err)
		}
	}
	return nil
}

// fileLock is an exclusive lock on PATH.lock, held while the file stays
// open. The kernel drops it when the process ends in any way (kill -9
// included), so a crashed daemon never locks out its successor.
type fileLock struct{ f *os.File }

// lockSQLiteFile takes the lock on the database at path without waiting.
// The lock file is never removed: removing it could let two processes lock
// two different files of the same name.
func lockSQLiteFile(path string) (*fileLock, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, privateMode)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	if err := flockExclusive(f); err != nil {
		holder, _ := os.ReadFile(name)
		f.Close()
		who := ""
		if pid := strings.TrimSpace(string(holder)); pid != "" {
			who = " (process " + pid + ")"
		}
		if errors.Is(err, errLockHeld) {
			return nil, fmt.Errorf("%w: %s is used by another complaintd%s; one daemon per SQLite file (stop the other, or use PostgreSQL to run several)", ErrInUse, path, who)
		}
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	// Who holds it, for the message above; informational only.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &fileLock{f: f}, nil
}

func (l *fileLock) release() {
	if l != nil && l.f != nil {
		_ = l.f.Truncate(0)
		l.f.Close() // closing the descriptor drops the lock
		l.f = nil
	}
}
