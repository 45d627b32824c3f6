//go:build !unix

package atomicfile

// LockDir is a no-op where advisory locks on directories are not
// available; the compare-and-swap check in the callers still detects a
// concurrent change.
func LockDir(dir string) (unlock func(), err error) {
	return func() {}, nil
}
