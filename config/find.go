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

// Locate names the .sops.yaml of a run as sops does: given (--config)
// when set, else getenv("SOPS_CONFIG") when set, else the first safe one
// upwards from workDir (Find; the working directory when ""). "" when
// there is none; the warnings are those of the search.
func Locate(given string, getenv func(string) string, workDir string) (path string, warnings []string, err error) {
	if given != "" {
		return given, nil, nil
	}
	if getenv != nil {
		if p := getenv("SOPS_CONFIG"); p != "" {
			return p, nil, nil
		}
	}
	if workDir == "" {
		if workDir, err = os.Getwd(); err != nil {
			return "", nil, fmt.Errorf("looking for a config file: %w", err)
		}
	}
	return Find([]string{workDir}, nil)
}

// Find looks for a .sops.yaml in each of startDirs in turn (the commands
// pass the working directory only, as sops does: the target file's
// location plays no part), walking up through the parent directories, at
// most 100 levels each. It returns the first one found, or "" when there is
// none, which is not an error. A .sops.yml seen on the way is not used: a
// warning about each one is returned for the caller to print.
//
// A .sops.yaml that someone else could have put there is skipped, with a
// warning, and the search goes on upwards (as git refuses a repository in
// an unsafe directory): the file or its directory is writable by other
// users (mode o+w, sticky bit or not: anyone may create a file in /tmp),
// or owned by a user other than the invoking one and root.
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
				if why := unsafeConfig(stat, dir, p); why != "" {
					warnings = append(warnings, fmt.Sprintf("ignoring %s: %s; move it, or name it with --config or SOPS_CONFIG if you trust it", p, why))
				} else {
					return p, warnings, nil
				}
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

// unsafeConfig says why the config file p in dir could have been written
// by another user, or "" when it could not.
func unsafeConfig(stat func(string) (fs.FileInfo, error), dir, p string) string {
	for _, c := range []struct{ path, what string }{{dir, "its directory"}, {p, "the file"}} {
		fi, err := stat(c.path)
		if err != nil {
			return fmt.Sprintf("cannot check who may write %s: %v", c.what, err)
		}
		if fi.Mode().Perm()&0o002 != 0 {
			return c.what + " is writable by every user"
		}
		if uid, ok := ownerOf(fi); ok && uid != 0 && uid != myUID() {
			return fmt.Sprintf("%s is owned by another user (uid %d)", c.what, uid)
		}
	}
	return ""
}
