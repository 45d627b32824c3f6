package editor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ShmDir is tried first for the private directory: on Linux it is a tmpfs,
// so the plaintext never reaches a disk (unless the system swaps).
const ShmDir = "/dev/shm"

// TempPrefix starts the name of every private directory this package makes.
const TempPrefix = "hull-edit-"

// TempDir is a private directory (mode 0700) holding one plaintext file.
type TempDir struct {
	// Dir is the private directory.
	Dir string
	// File is the plaintext file inside it.
	File string
}

// NewTempDir makes a fresh private directory (mode 0700) and creates in it
// the file name (its base name is used) with mode 0600, exclusively
// (O_EXCL: it never opens a file that already exists), holding content.
//
// The directory is made in base when base is not empty. Otherwise it is
// made in /dev/shm when that exists and is writable, else in os.TempDir()
// (which is $TMPDIR on Unix: this is the one place where the package
// consults the environment, through the standard library, and only when
// the caller passes no base).
//
// On error nothing is left behind. The caller must call Remove.
func NewTempDir(base, name string, content []byte) (*TempDir, error) {
	name = filepath.Base(name)
	if name == "." || name == string(filepath.Separator) || name == "" {
		name = "file"
	}
	var dir string
	var err error
	// The name holds the pid of this process, so that a later run can tell
	// the directory of a run that was killed (SIGKILL cannot be caught).
	pattern := TempPrefix + strconv.Itoa(os.Getpid()) + "-*"
	if base != "" {
		Sweep(base)
		dir, err = os.MkdirTemp(base, pattern)
	} else {
		Sweep(ShmDir)
		Sweep(os.TempDir())
		dir, err = os.MkdirTemp(ShmDir, pattern)
		if err != nil {
			dir, err = os.MkdirTemp(os.TempDir(), pattern)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot make a private temporary directory: %w", unwrapPath(err))
	}
	// MkdirTemp makes 0700 directories; make sure a strange umask did not
	// leave the owner without access, and that nobody else has any.
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot make a private temporary directory: %w", unwrapPath(err))
	}
	t := &TempDir{Dir: dir, File: filepath.Join(dir, name)}
	f, err := os.OpenFile(t.File, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Remove()
		return nil, fmt.Errorf("cannot create the temporary file: %w", unwrapPath(err))
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Remove()
		return nil, fmt.Errorf("cannot write the temporary file: %w", unwrapPath(err))
	}
	return t, nil
}

// Read returns the current content of the file.
func (t *TempDir) Read() ([]byte, error) {
	b, err := os.ReadFile(t.File)
	if err != nil {
		return nil, fmt.Errorf("cannot read the edited file: %w", unwrapPath(err))
	}
	return b, nil
}

// Remove overwrites every regular file in the directory with zeros (the
// plaintext, and whatever the editor left there, since TMPDIR points here
// while it runs) and removes the directory. It is safe to call more than
// once. Overwriting is a best effort: on copy-on-write or journaling file
// systems old blocks may survive, which is why /dev/shm is preferred.
func (t *TempDir) Remove() error {
	if t == nil || t.Dir == "" {
		return nil
	}
	filepath.WalkDir(t.Dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			zero(p)
		}
		return nil
	})
	err := os.RemoveAll(t.Dir)
	if err != nil {
		return fmt.Errorf("cannot remove the temporary directory %s: %w", t.Dir, unwrapPath(err))
	}
	t.Dir = ""
	return nil
}

// zero overwrites a file's bytes with zeros, in place.
func zero(p string) {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	buf := make([]byte, 32*1024)
	for left := fi.Size(); left > 0; {
		n := int64(len(buf))
		if left < n {
			n = left
		}
		if _, err := f.Write(buf[:n]); err != nil {
			return
		}
		left -= n
	}
	f.Sync()
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// Sweep removes, from base, the private directories that runs which were
// killed left behind: only directories named by this package
// (TempPrefix + pid + "-…"), owned by the current user, whose process no
// longer exists. A directory of a live process, or of another user, is
// never touched; its files are overwritten with zeros before removal, as
// Remove does. It returns the directories removed.
func Sweep(base string) []string {
	ents, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, TempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join(base, name)
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || !ownedByMe(fi) || processAlive(pid) {
			continue
		}
		t := &TempDir{Dir: dir}
		if t.Remove() == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}
