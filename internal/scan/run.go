package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/internal/fserr"
)

// Mode is what [Run] scans.
type Mode int

const (
	// ModeFiles scans RunOptions.Paths, else the files of the git
	// repository (tracked, and untracked but not ignored), else the
	// directory.
	ModeFiles Mode = iota
	// ModeStaged scans the staged content of the files changed in the
	// index (a pre-commit hook).
	ModeStaged
	// ModeHistory scans every blob reachable from any ref and names the
	// commit that added each finding.
	ModeHistory
)

// RunOptions are the settings of one 'hull scan'.
type RunOptions struct {
	Dir     string // the working directory ("": the process's)
	Mode    Mode
	Paths   []string // ModeFiles only
	MaxSize int64    // 0 for DefaultMaxSize
	// Baseline is the baseline file; "" for BaselineFile at the root of
	// the repository (or Dir). A Baseline given must exist, unless it is
	// being written.
	Baseline string
	// UpdateBaseline writes every current finding into the baseline as
	// accepted, keeping its ignore globs and key (or making a key).
	UpdateBaseline bool
}

// Report is what Run found.
type Report struct {
	Dir          string // the working directory of the run
	Root         string // the top of the repository, else Dir
	InGit        bool
	BaselinePath string
	// LegacyBaseline: the baseline holds unkeyed fingerprints (and was
	// not rewritten).
	LegacyBaseline bool
	*Result
	// Written is the baseline written with UpdateBaseline.
	Written *Baseline
}

// Steps of Run that can fail, in RunError.
const (
	StepRepository = "repository" // ModeStaged or ModeHistory outside a repository
	StepRead       = "read"       // the baseline or an input cannot be read
	StepBaseline   = "baseline"   // the baseline is not valid
	StepWrite      = "write"      // the baseline cannot be written
)

// RunError is a failure of Run and the step that failed.
type RunError struct {
	Step string
	Err  error
}

func (e *RunError) Error() string { return e.Err.Error() }
func (e *RunError) Unwrap() error { return e.Err }

// Run scans as o says, with the baseline applied (or written).
func Run(ctx context.Context, o RunOptions) (*Report, error) {
	if o.Dir == "" {
		var err error
		if o.Dir, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	rep := &Report{Dir: o.Dir}
	root, gitErr := GitRoot(ctx, o.Dir)
	rep.InGit = gitErr == nil
	if !rep.InGit {
		if o.Mode != ModeFiles {
			return nil, &RunError{StepRepository, fmt.Errorf("--staged and --history need a git repository: %v", gitErr)}
		}
		root = o.Dir
	}
	rep.Root = root
	rep.BaselinePath = o.Baseline
	if rep.BaselinePath == "" {
		rep.BaselinePath = filepath.Join(root, BaselineFile)
	}
	base, err := LoadBaseline(rep.BaselinePath, o.Baseline != "" && !o.UpdateBaseline)
	if err != nil {
		return nil, err
	}
	var produce Producer
	switch {
	case o.Mode == ModeStaged:
		produce = GitStaged(root, o.MaxSize)
	case o.Mode == ModeHistory:
		produce = GitHistory(root, o.MaxSize)
	case len(o.Paths) > 0:
		produce = Paths(root, o.Paths)
	case rep.InGit:
		produce = GitFiles(root)
	default:
		produce = Paths(root, []string{"."})
	}
	// The fingerprint key: the baseline's; a new one when the baseline is
	// written; else one kept in the repository's git directory (so that
	// fingerprints are stable in this clone), or one for this run.
	keyHex := base.Key
	if keyHex == "" && o.UpdateBaseline {
		if keyHex, err = NewKey(); err != nil {
			return nil, err
		}
	}
	key := KeyFromHex(keyHex)
	if key == nil {
		key = LocalKey(ctx, root, rep.InGit)
	}
	rep.LegacyBaseline = base.Legacy() && !o.UpdateBaseline
	opts := Options{MaxSize: o.MaxSize, Baseline: base, Key: key}
	if o.UpdateBaseline {
		// Every current finding goes into the new baseline.
		opts.Baseline = &Baseline{Ignore: base.Ignore}
	}
	if rep.Result, err = New(opts).Scan(ctx, produce); err != nil {
		return nil, &RunError{StepRead, err}
	}
	if o.Mode == ModeHistory {
		if err := CommitsAdding(ctx, root, rep.Findings); err != nil {
			return nil, &RunError{StepRead, err}
		}
		SortFindings(rep.Findings)
	}
	if o.UpdateBaseline {
		rep.Written = base.WithFindings(keyHex, rep.Findings)
		if err := hull.WriteFile(rep.BaselinePath, rep.Written.Marshal(), hull.WriteOptions{Perm: 0o644}); err != nil {
			return nil, &RunError{StepWrite, fmt.Errorf("cannot write %s: %v", rep.BaselinePath, fserr.Bare(err))}
		}
	}
	return rep, nil
}

// LoadBaseline reads a baseline file. A missing file is an empty
// baseline, unless it must exist.
func LoadBaseline(path string, mustExist bool) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !mustExist {
			return ParseBaseline(nil)
		}
		return nil, &RunError{StepRead, fmt.Errorf("cannot read %s: %v", path, fserr.Bare(err))}
	}
	b, err := ParseBaseline(data)
	if err != nil {
		return nil, &RunError{StepBaseline, fmt.Errorf("%s: %v", path, err)}
	}
	return b, nil
}

// LocalKey is the fingerprint key of a repository without a keyed
// baseline: kept in its git directory (hull-scan-key, mode 0600; never
// committed, so a fresh clone makes its own), else random for this run.
func LocalKey(ctx context.Context, root string, inGit bool) []byte {
	fresh := func() []byte {
		k, _ := NewKey()
		return KeyFromHex(k)
	}
	if !inGit {
		return fresh()
	}
	out, err := git(ctx, root, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return fresh()
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "hull-scan-key")
	read := func() []byte {
		if b, err := os.ReadFile(path); err == nil {
			return KeyFromHex(strings.TrimSpace(string(b)))
		}
		return nil
	}
	if k := read(); k != nil {
		return k
	}
	k, err := NewKey()
	if err != nil {
		return fresh()
	}
	if err := hull.WriteFile(path, []byte(k+"\n"), hull.WriteOptions{Perm: 0o600, NoClobber: true}); err != nil {
		// Another run made it meanwhile, or .git is read-only.
		if k2 := read(); k2 != nil {
			return k2
		}
	}
	return KeyFromHex(k)
}

// JSON is the report as 'hull scan --json' prints it: {findings: [...],
// accepted_by_baseline, stats}, indented, findings [] when there are none.
func (r *Report) JSON() ([]byte, error) {
	out := struct {
		Findings []Finding `json:"findings"`
		Accepted int       `json:"accepted_by_baseline"`
		Stats    Stats     `json:"stats"`
	}{r.Findings, r.Accepted, r.Stats}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	return json.MarshalIndent(out, "", "  ")
}

// Text is a finding as one line of text: FILE:LINE:COLUMN: KIND REDACTED,
// with COMMIT: (12 digits) before it when it has one; name is the file as
// the caller shows it.
func (f Finding) Text(name string) string {
	if f.Commit != "" {
		name = f.Commit[:min(12, len(f.Commit))] + ":" + name
	}
	return fmt.Sprintf("%s:%d:%d: %s %s", name, f.Line, f.Column, f.Kind, f.Redacted)
}
