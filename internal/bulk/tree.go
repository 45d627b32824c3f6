package bulk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/internal/scan"
	"github.com/hullsecrets/hull/sopsenv"
)

// WalkError is a walk that failed for another reason than a config that
// cannot be read (a *ConfigError): a root that cannot be listed.
type WalkError struct{ Err error }

func (e *WalkError) Error() string { return "cannot walk: " + e.Err.Error() }
func (e *WalkError) Unwrap() error { return e.Err }

// TreeOptions are the options of the walks of WalkTree and CheckTree:
// files up to the formats' size limit, and the extensions of the known
// formats (KnownFormat).
var TreeOptions = Options{MaxSize: formats.DefaultLimits.MaxBytes, Known: KnownFormat}

// KnownFormat reports whether a file name has a known format extension.
func KnownFormat(name string) bool {
	_, ok := all.Registry().ForPath(name, "binary")
	return ok
}

// WalkTree lists the files under roots (none: the working directory)
// with their rules (Walk with TreeOptions), with the config at configPath when it is not "" (else
// each file's .sops.yaml). Every warning about a config is given to warn.
// It fails with a *ConfigError or a *WalkError (naming the failure, not
// the path).
func WalkTree(roots []string, configPath string, warn func(string)) ([]File, *Selector, error) {
	if len(roots) == 0 {
		roots = []string{"."}
	}
	sel := NewSelector(configPath)
	files, err := Walk(roots, sel, TreeOptions)
	for _, w := range sel.Warnings() {
		warn(w)
	}
	if err != nil && !errors.As(err, new(*ConfigError)) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, &WalkError{Err: err}
	}
	return files, sel, err
}

// TreeCheck is one 'hull check' of a tree.
type TreeCheck struct {
	// Roots are the files and directories to check; none is the git
	// repository around the working directory, else the working
	// directory.
	Roots []string
	// Config is the .sops.yaml every file is checked against ("": each
	// file's own); Warn gets the warnings about configs.
	Config string
	Warn   func(string)
	// PreCommit is the pre-commit hook's mode: only files a creation rule
	// covers are checked, and a tree without a .sops.yaml has nothing to
	// check (Report.NoConfig) instead of failing.
	PreCommit bool
	// DriftWarns makes rule and recipient drift a warning
	// (Report.DriftWarnings) instead of a failure.
	DriftWarns bool
	// Options are the options of each file's hull.CheckFile (identities,
	// decryption order, …), asked for once the tree is known to have a
	// config; without WantKeys, a rule's keys are those sopsenv.WantKeys
	// reads.
	Options func() (hull.CheckOptions, error)
	// Progress is called as files are done.
	Progress func(done, total int)
}

// DriftWarns is TreeCheck.DriftWarns from check's --drift value: "warn",
// "error", or "" for the default (a warning before a commit, else an
// error).
func DriftWarns(drift string, preCommit bool) (bool, error) {
	switch drift {
	case "":
		return preCommit, nil
	case "warn", "error":
		return drift == "warn", nil
	}
	return false, fmt.Errorf("--drift %q: want warn or error", drift)
}

// TreeReport is the outcome of CheckTree.
type TreeReport struct {
	Results []hull.CheckResult
	// Worst is the most severe status that fails the check
	// (hull.CheckStatuses); "" when the check passes.
	Worst string
	// DriftWarnings are the drift findings that only warn (DriftWarns).
	DriftWarnings []Found
	// NoConfig: a pre-commit check found no .sops.yaml and checked
	// nothing.
	NoConfig bool
}

// CheckTree walks the roots, requires a .sops.yaml that applies to them
// (RequireConfig) and checks every file (Check). It fails with the errors
// of WalkTree and RequireConfig, or of Options.
func CheckTree(ctx context.Context, o TreeCheck) (*TreeReport, error) {
	roots := o.Roots
	if len(roots) == 0 {
		roots = []string{"."}
		if top, err := scan.GitRoot(ctx, "."); err == nil && top != "" {
			roots = []string{top}
		}
	}
	files, sel, err := WalkTree(roots, o.Config, o.Warn)
	if err != nil {
		return nil, err
	}
	if err := RequireConfig(sel, roots); err != nil {
		if o.PreCommit && errors.As(err, new(*NoConfigError)) {
			return &TreeReport{NoConfig: true}, nil
		}
		return nil, err
	}
	fo, err := o.Options()
	if err != nil {
		return nil, err
	}
	if fo.WantKeys == nil {
		fo.WantKeys = sopsenv.WantKeys()
	}
	rep := &TreeReport{Results: Check(ctx, files, CheckOptions{File: fo, CoveredOnly: o.PreCommit, Known: KnownFormat, Progress: o.Progress})}
	var ignore []string
	if o.DriftWarns {
		ignore = []string{"drift"}
		rep.DriftWarnings = Findings(rep.Results, hull.FindRuleDrift, hull.FindRecipientDrift)
	}
	rep.Worst = Worst(rep.Results, ignore...)
	return rep, nil
}
