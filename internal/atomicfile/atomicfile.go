// Package atomicfile writes files so that a reader, or a crash, never sees
// a partial file: the data goes to a temporary file in the same directory,
// which is synced, given its final mode and renamed over the target; the
// directory is synced last. On any error the target is left as it was and
// the temporary file is removed.
//
// One exception: when the directory does not let us create the temporary
// file (permission denied) but the file exists and is writable, Write
// rewrites the file in place, as sops does, and gives up atomicity for that
// write (writeInPlace).
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TempPrefix starts the name of every temporary file this package makes,
// so that stale ones left by a crash can be found and removed.
const TempPrefix = ".hull-tmp-"

// StaleAge is how old a temporary file must be before Write removes it as
// the leftover of a crashed write.
const StaleAge = 15 * time.Minute

// Options control Write.
type Options struct {
	// Perm is the mode of a new file (0600 when zero). An existing file
	// keeps its own mode.
	Perm fs.FileMode
	// NoClobber refuses to replace an existing file or symlink (the target
	// of "decrypt --output" without --force).
	NoClobber bool
	// BeforeRename, when set, runs after the data is synced and before the
	// rename; an error aborts the write. Tests use it to inject faults.
	BeforeRename func(tmp string) error
}

// ErrExists is returned with NoClobber when the target exists.
var ErrExists = errors.New("file already exists")

// Write atomically replaces path with data. A symlink at path is followed:
// the file it points to is replaced and the link is kept.
func Write(path string, data []byte, o Options) (err error) {
	target := path
	perm := o.Perm
	if perm == 0 {
		perm = 0o600
	}
	existed := false
	if li, lerr := os.Lstat(path); lerr == nil {
		existed = true
		if o.NoClobber {
			return fmt.Errorf("%s: %w (use --force to replace it)", path, ErrExists)
		}
		if li.Mode()&os.ModeSymlink != 0 {
			resolved, rerr := filepath.EvalSymlinks(path)
			if rerr != nil {
				return fmt.Errorf("%s: resolving symlink: %w", path, rerr)
			}
			target = resolved
		}
		if fi, serr := os.Stat(target); serr == nil {
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s: not a regular file", path)
			}
			perm = fi.Mode().Perm()
		}
	} else if !errors.Is(lerr, fs.ErrNotExist) {
		return lerr
	}
	dir := filepath.Dir(target)
	// Temporary files of writes that crashed long ago are removed.
	Sweep(dir, StaleAge)
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(dir, TempPrefix+filepath.Base(target)+"-"+hex.EncodeToString(rnd[:]))
	if err := fault("create"); err != nil {
		return err
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) && !o.NoClobber && existed {
			// The directory is not writable but the file may be: write it
			// in place, as sops does (see writeInPlace).
			if ierr := writeInPlace(target, data); ierr == nil {
				return nil
			} else if !errors.Is(ierr, fs.ErrPermission) {
				return ierr
			}
		}
		return err
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	if err = fault("write"); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = fault("chmod"); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = fault("sync"); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = fault("close"); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if o.BeforeRename != nil {
		if err = o.BeforeRename(tmp); err != nil {
			return err
		}
	}
	if err = fault("rename"); err != nil {
		return err
	}
	if o.NoClobber {
		// Link instead of rename so that a file created meanwhile is never
		// replaced.
		if err = os.Link(tmp, target); err != nil {
			if errors.Is(err, fs.ErrExist) {
				err = fmt.Errorf("%s: %w (use --force to replace it)", path, ErrExists)
			}
			return err
		}
		os.Remove(tmp)
	} else if err = os.Rename(tmp, target); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// testOnlyFault, set only by tests, fails the step it names ("create",
// "write", "chmod", "sync", "close", "rename") to show that a failure at
// any point leaves the target as it was.
var testOnlyFault func(step string) error

func fault(step string) error {
	if testOnlyFault == nil {
		return nil
	}
	return testOnlyFault(step)
}

// Sweep removes temporary files left in dir by a crashed write: files this
// package names, older than minAge (so that a write in progress in another
// process is never disturbed). It returns how many it removed.
func Sweep(dir string, minAge time.Duration) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), TempPrefix) {
			continue
		}
		if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < minAge {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}

// writeInPlace replaces the content of an existing file whose directory
// does not let us create the temporary file. It is not atomic: a reader may
// see the file half written, and a crash or a full disk during the write
// can leave it truncated or mixed (the old file's tail after the new
// content until the final truncate). Its mode, owner and hard links are
// kept. The data is synced before it returns.
func writeInPlace(path string, data []byte) (err error) {
	if err := fault("inplace"); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err = f.WriteAt(data, 0); err != nil {
		return err
	}
	if err = f.Truncate(int64(len(data))); err != nil {
		return err
	}
	return f.Sync()
}
