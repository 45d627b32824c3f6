package scan

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Errors of ModeOf (flags that cannot be used together) and ParseMaxSize.
var (
	ErrStagedAndHistory = errors.New("--staged and --history cannot be used together")
	ErrPathsWithMode    = errors.New("paths cannot be given with --staged or --history")
	ErrMaxSize          = errors.New("usage: --max-size must be a positive number of bytes")
)

// ModeOf is the Mode of 'hull scan' for its flags --staged and --history
// and its paths, which only ModeFiles takes.
func ModeOf(staged, history bool, paths []string) (Mode, error) {
	switch {
	case staged && history:
		return ModeFiles, ErrStagedAndHistory
	case (staged || history) && len(paths) > 0:
		return ModeFiles, ErrPathsWithMode
	case staged:
		return ModeStaged, nil
	case history:
		return ModeHistory, nil
	}
	return ModeFiles, nil
}

// ParseMaxSize is the value of --max-size: a positive number of bytes,
// DefaultMaxSize for "".
func ParseMaxSize(s string) (int64, error) {
	if s == "" {
		return DefaultMaxSize, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w, not %q", ErrMaxSize, s)
	}
	return n, nil
}

// DisplayPath is p relative to the working directory cwd when it is below
// it, with forward slashes.
func DisplayPath(cwd, p string) string {
	if rel, err := filepath.Rel(cwd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

// Lines are the findings of a run in mode from the working directory cwd
// as 'hull scan' prints them (Finding.Text), the files of ModeFiles named
// relative to cwd.
func (r *Report) Lines(mode Mode, cwd string) []string {
	out := make([]string, 0, len(r.Findings))
	for _, f := range r.Findings {
		name := f.File
		if mode == ModeFiles && !filepath.IsAbs(filepath.FromSlash(f.File)) {
			name = DisplayPath(cwd, filepath.Join(r.Root, filepath.FromSlash(f.File)))
		}
		out = append(out, f.Text(name))
	}
	return out
}

// Write writes the findings on w: as JSON (Report.JSON) when asJSON, else
// as lines (Lines). Its error is that of making the JSON.
func (r *Report) Write(w io.Writer, asJSON bool, mode Mode, cwd string) error {
	if asJSON {
		b, err := r.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", b)
		return nil
	}
	for _, l := range r.Lines(mode, cwd) {
		fmt.Fprintln(w, l)
	}
	return nil
}

// Advice says where the findings of mode were found and what to do about
// them.
func Advice(mode Mode) (where, hint string) {
	switch mode {
	case ModeStaged:
		return "the staged changes", "encrypt the file ('hull encrypt -i FILE') and 'git add' it again, or unstage it ('git restore --staged FILE')"
	case ModeHistory:
		return "git history", "rotate these secrets: removing them from history does not un-leak them"
	}
	return "the files scanned", "encrypt the file ('hull encrypt -i FILE') or remove the secret"
}
