//go:build unix

package audit

import (
	"errors"
	"os"
	"syscall"
)

// openAppend opens path for appending without following a symbolic link
// as its last element and without blocking on a FIFO.
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return nil, errors.New("is a symbolic link (hull does not follow one for its audit log)")
	}
	if errors.Is(err, syscall.ENXIO) {
		return nil, errors.New("not a regular file")
	}
	return f, err
}
