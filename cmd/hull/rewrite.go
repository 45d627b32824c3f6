package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/fserr"
)

// errConcurrentModification is returned by a rewrite whose file changed
// meanwhile.
var errConcurrentModification = errors.New("the file was changed by someone else while hull was working on it; nothing was written, run the command again")

// changeFunc changes a decrypted file in place and reports whether it
// changed anything.
type changeFunc func(f *formats.File, o *hull.Opened) (changed bool, err error)

// rewriteOptions tune rewrite.
type rewriteOptions struct {
	// hold keeps the directory lock for the whole read-modify-write (set,
	// unset). edit does not hold it while the editor runs; it relies on
	// the compare-and-swap check instead.
	hold bool
	// onConflict, when set, gets the sealed result that the
	// compare-and-swap refused to write (edit keeps it; see keepEdit).
	onConflict func(sealed []byte) error
}

// rewrite decrypts fio's file, lets change modify the plaintext, and writes
// it back through the library's write transaction (hull.File.Rewrite):
// the policy's checks, the same data key (unchanged values keep their
// exact ciphertext), and an atomic write only if the file on disk still
// has the bytes that were read (compare-and-swap under the directory lock).
func (r *runner) rewrite(cl *cmdLine, fio *fileIO, o rewriteOptions, change changeFunc) (bool, error) {
	if o.hold {
		unlock, err := hull.LockDir(filepath.Dir(fio.path))
		if err != nil {
			return false, withCode(exitCouldNotWrite, err)
		}
		defer unlock()
	}
	original, err := r.readInput(fio)
	if err != nil {
		return false, err
	}
	stash := hull.NewStash()
	f, opened, err := r.open(cl, fio, original, stash, nil)
	if err != nil {
		return false, err
	}
	pol, err := r.policy(cl, fio.ruleName())
	if err != nil {
		return false, err
	}
	file := pol.OpenedFile(fio.path, fio.ruleName(), fio.in, original, f, opened, stash)
	changed, err := file.Rewrite(func(f *formats.File) (bool, error) { return change(f, opened) }, hull.RewriteOptions{
		AllowNoEncryption: cl.on("allow-no-encryption"), Out: fio.out, Emit: fio.emitOpts, Held: o.hold,
		NoExtendedMAC: func(why string) {
			r.warnf("%s: x_hull_mac not added: %s; run 'hull updatekeys' or 'hull rotate -i' to confirm the file's keys and rule", fio.display(), why)
		}})
	var re *hull.RewriteError
	switch {
	case errors.Is(err, hull.ErrUnverifiedRewrite):
		// --ignore-mac lets a tampered file be read; re-sealing it would
		// vouch for whatever was changed (SECURITY.md row 66).
		return false, withCode(exitMacMismatch, fmt.Errorf("%s: %w (read with --ignore-mac); check the file (git diff, git log) and pass --force-rewrite-unverified if you trust its content", fio.display(), hull.ErrUnverifiedRewrite))
	case errors.As(err, &re) && re.Step == hull.StepCheck:
		return false, withCode(exitPolicyViolation, err)
	case errors.As(err, &re) && errors.Is(err, hull.ErrConcurrentModification) && o.onConflict != nil:
		return false, o.onConflict(re.Sealed)
	case errors.As(err, &re):
		return false, commitError(fio.path, re.Err)
	}
	return changed, err
}

// commitError is an error of hull.Commit with the command line's exit
// codes and message.
func commitError(path string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hull.ErrConcurrentModification):
		return withCode(exitConcurrentModification, fmt.Errorf("%s: %w", path, errConcurrentModification))
	}
	return withCode(exitCouldNotWrite, fserr.Bare(err))
}
