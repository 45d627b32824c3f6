package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// maxLevels is how far up Find walks from each start directory, as sops.
const maxLevels = 100

// altFileName is a name sops (and hull) ignore, with a warning.
const altFileName = ".sops.yml"

// Find looks for a .sops.yaml in each of startDirs in turn (the caller
// passes the directory of the target file, then the working directory),
// walking up through the parent directories, at most 100 levels each. It
// returns the first one found, or "" when there is none, which is not an
// error. A .sops.yml seen on the way is not used: a warning about each
// one is returned for the caller to print.
//
// stat is os.Stat when nil. A start directory that is relative is walked
// with "..", as sops does; absolute ones stop at the root.
func Find(startDirs []string, stat func(string) (fs.FileInfo, error)) (path string, warnings []string, err error) {
	if stat == nil {
		stat = os.Stat
	}
	warned := map[string]bool{}
	seen := map[string]bool{}
	for _, start := range startDirs {
		dir := filepath.Clean(start)
		for i := 0; i < maxLevels; i++ {
			if seen[dir] {
				break // an earlier start dir already walked from here up
			}
			seen[dir] = true
			p := filepath.Join(dir, FileName)
			ok, err := exists(stat, p)
			if err != nil {
				return "", warnings, err
			}
			if ok {
				return p, warnings, nil
			}
			alt := filepath.Join(dir, altFileName)
			if ok, _ := exists(stat, alt); ok && !warned[alt] {
				warned[alt] = true
				warnings = append(warnings, fmt.Sprintf("ignoring %q when searching for config file; the config file must be called %q", alt, FileName))
			}
			parent := filepath.Join(dir, "..")
			if filepath.IsAbs(dir) && parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", warnings, nil
}

// exists reports whether a config file is at p. A missing file (or a
// missing directory on the way) is "no"; a directory is an error, as is
// a failure to look (permission denied), which sops would hide.
func exists(stat func(string) (fs.FileInfo, error), p string) (bool, error) {
	fi, err := stat(p)
	switch {
	case err == nil:
		if fi.IsDir() {
			return false, fmt.Errorf("config file %s is a directory", p)
		}
		return true, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return false, nil
	}
	return false, fmt.Errorf("looking for a config file: %w", err)
}
