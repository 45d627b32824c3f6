//go:build unix

package config

import (
	"io/fs"
	"os"
	"syscall"
)

// ownerOf returns the owner of a file, when the platform says.
func ownerOf(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}

func myUID() uint32 { return uint32(os.Geteuid()) }
