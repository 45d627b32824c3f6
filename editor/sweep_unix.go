//go:build unix

package editor

import (
	"errors"
	"os"
	"syscall"
)

// ownedByMe reports whether the current user owns the file.
func ownedByMe(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// processAlive reports whether a process with this pid exists (EPERM: it
// exists but belongs to someone else). In doubt it says yes.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
