package age

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hullsecrets/hull/internal/fserr"
)

// ErrIdentityFileExists is returned by WriteIdentityFile when the file
// exists: an identity file is never overwritten.
var ErrIdentityFileExists = errors.New("identity file exists")

// WriteIdentityFile writes a new identity (GenerateIdentity) to path, a
// file that must not exist, with mode 0600 (its directory is made 0700 if
// needed), and returns its recipient. A file that cannot be written whole
// is removed.
func WriteIdentityFile(path string, now time.Time) (recipient string, err error) {
	content, recipient, err := GenerateIdentity(now)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("cannot create %s: %w", filepath.Dir(path), fserr.Bare(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s already exists; hull never overwrites an identity file (choose another file or remove it first): %w", path, ErrIdentityFileExists)
	} else if err != nil {
		return "", fmt.Errorf("cannot create %s: %w", path, fserr.Bare(err))
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("cannot write %s: %w", path, err)
	}
	return recipient, nil
}
