//go:build unix

package atomicfile

import (
	"fmt"
	"os"
	"syscall"
)

// LockDir takes an exclusive advisory lock on a directory, held until the
// returned function is called. hull takes it around every
// read-modify-write of a file in that directory, so concurrent writers run
// one after the other instead of losing updates. A directory is locked
// rather than the file because the file is replaced by rename, and no lock
// file is left behind.
func LockDir(dir string) (unlock func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		d.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return func() {
		syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
		d.Close()
	}, nil
}
