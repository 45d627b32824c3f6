// Package fserr holds what hull's packages share about file system errors.
package fserr

import (
	"errors"
	"io/fs"
)

// Bare is err without its *fs.PathError wrapper ("permission denied"
// rather than "open /x/y: permission denied"), for messages that already
// name the file; any other error is returned as it is.
func Bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
