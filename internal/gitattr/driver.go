package gitattr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
)

// Textconv is what 'hull diff', git's textconv driver, shows of a file
// whose content is data: the file as it is when it is not encrypted, else
// its plaintext (decrypt), else, when decrypt fails, a one-line note with
// the reason and the file with every encrypted value shortened
// (Abbreviate). The note names no file: git's temporary copies have random
// names, which would show as a change.
func Textconv(data []byte, encrypted bool, decrypt func() ([]byte, error)) []byte {
	if !encrypted {
		return data
	}
	out, err := decrypt()
	if err == nil {
		return out
	}
	note := fmt.Sprintf("# hull: cannot decrypt this file (%s); encrypted values are shortened\n", Reason(err))
	return append([]byte(note), Abbreviate(data)...)
}

// Show is Textconv of data, a file in format: encrypted when it has sops
// metadata (hull.HasMetadata), its plaintext what decrypt opens, as the
// format writes it.
func Show(data []byte, format formats.Format, decrypt func() (*formats.File, error)) []byte {
	return Textconv(data, hull.HasMetadata(format, data), func() ([]byte, error) {
		f, err := decrypt()
		if err != nil {
			return nil, err
		}
		return format.Emit(f, formats.EmitOptions{})
	})
}

// Reason is a one-line reason for a failed decryption, without the list of
// places searched for identities.
func Reason(err error) string {
	switch {
	case errors.Is(err, keysources.ErrNoKey):
		return "no identity could decrypt the data key"
	case errors.Is(err, hull.ErrMACMismatch), errors.Is(err, hull.ErrNoMAC):
		return "MAC mismatch: the file was changed outside sops/hull"
	case errors.Is(err, hull.ErrExtendedMAC):
		return "the hull MAC does not match"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// ErrMergeFile is wrapped by MergeText when git merge-file could not run
// or failed.
var ErrMergeFile = errors.New("git merge-file failed")

// MergeText merges three unencrypted versions as git does, with git
// merge-file (labels ours, base, theirs), into the file ours; git's output
// goes to out. It returns the number of conflicts left in ours.
func MergeText(ctx context.Context, base, ours, theirs string, out io.Writer) (conflicts int, err error) {
	cmd := exec.CommandContext(ctx, "git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", ours, base, theirs)
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() < 128:
		return ee.ExitCode(), nil
	}
	return 0, fmt.Errorf("%w: %w", ErrMergeFile, err)
}
