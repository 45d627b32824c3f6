package gitattr

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hullsecrets/hull/config"
)

// ErrNotInRepository is returned by Setup outside a git repository
// without Global.
var ErrNotInRepository = errors.New("not inside a git repository: run 'hull git setup' in one (or use --global to set up only your global git config)")

// SetupOptions are the inputs of Setup.
type SetupOptions struct {
	// Dir is where the command runs (the working directory).
	Dir string
	// Global configures the user's global git config instead of the
	// repository's; outside a repository it is all Setup does.
	Global bool
	// Config loads the .sops.yaml that applies (nil when there is none);
	// it is called only inside a repository, and its error stops Setup.
	Config func() (*config.Config, error)
}

// SetupReport is what Setup did, for the caller to print.
type SetupReport struct {
	// Attributes is the .gitattributes file, relative to the top of the
	// repository ("" outside one); Added the lines added to it.
	// UpToDate: it had every line already.
	Attributes string
	Added      []string
	UpToDate   bool
	// Warnings are creation rules whose path_regex has no
	// .gitattributes equivalent.
	Warnings []string
	// Where names the git config changed: ".git/config" or "global git
	// config"; Changes are its settings (ConfigureGit).
	Where   string
	Changes []ConfigChange
}

// Setup is 'hull git setup': inside a repository it adds to .gitattributes
// (next to the .sops.yaml when that is in the repository, else at its top)
// the patterns of the creation rules (Globs) and the tracked encrypted
// files they do not cover (AddAttributes); then it sets GitConfig in the
// repository's git config, or with Global in the user's. The report holds
// what was done also when an error stops it.
func Setup(ctx context.Context, o SetupOptions) (*SetupReport, error) {
	rep := &SetupReport{Where: ".git/config"}
	if o.Global {
		rep.Where = "global git config"
	}
	top, err := Git(ctx, o.Dir, "rev-parse", "--show-toplevel")
	top = strings.TrimSpace(top)
	if err != nil && !o.Global {
		return rep, ErrNotInRepository
	}
	dir := o.Dir
	if err == nil {
		dir = top
		var cfg *config.Config
		if o.Config != nil {
			if cfg, err = o.Config(); err != nil {
				return rep, err
			}
		}
		attrDir, patterns, warnings := rulePatterns(cfg, top)
		rep.Warnings = warnings
		rep.Attributes, _ = filepath.Rel(top, filepath.Join(attrDir, ".gitattributes"))
		if rep.Added, err = AddAttributes(ctx, attrDir, patterns); err != nil {
			return rep, err
		}
		rep.UpToDate = len(rep.Added) == 0
	}
	rep.Changes, err = ConfigureGit(ctx, dir, o.Global)
	return rep, err
}

// Lines say what Setup did, one line each: the lines added to
// .gitattributes (or that it is up to date) and each git config setting.
func (r *SetupReport) Lines() []string {
	var out []string
	for _, l := range r.Added {
		out = append(out, fmt.Sprintf("%s: added %q", r.Attributes, l))
	}
	if r.UpToDate {
		out = append(out, r.Attributes+": up to date")
	}
	for _, ch := range r.Changes {
		if ch.Set {
			out = append(out, fmt.Sprintf("%s: set %s = %q", r.Where, ch.Key, ch.Value))
		} else {
			out = append(out, fmt.Sprintf("%s: %s is already %q", r.Where, ch.Key, ch.Value))
		}
	}
	return out
}

// rulePatterns are the .gitattributes patterns of cfg's creation rules
// and the directory of the .gitattributes they go to: cfg's when it is in
// the repository whose top is top, else top (and no patterns).
func rulePatterns(cfg *config.Config, top string) (dir string, patterns, warnings []string) {
	if cfg == nil || (cfg.Dir != top && !strings.HasPrefix(cfg.Dir, top+string(filepath.Separator))) {
		return top, nil, nil
	}
	for _, cr := range cfg.CreationRules {
		if cr.PathRegex == nil {
			continue
		}
		globs, ok := Globs(cr.PathRegex.String())
		if !ok {
			warnings = append(warnings, fmt.Sprintf("%s:%d: path_regex %q has no .gitattributes equivalent; files it matches get a line each when they are tracked", config.FileName, cr.Line, cr.PathRegex.String()))
			continue
		}
		patterns = append(patterns, globs...)
	}
	return cfg.Dir, patterns, warnings
}
