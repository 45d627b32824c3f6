package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/internal/gitattr"
)

func (r *runner) cmdGitSetup(cl *cmdLine) error {
	if len(cl.args) > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: hull git setup [--global] (no arguments expected, got %q)", cl.arg(0)))
	}
	// normalize moves the flag before "setup", onto the git command.
	global := cl.on("global")
	ctx := context.Background()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	top, err := gitattr.Git(ctx, wd, "rev-parse", "--show-toplevel")
	top = strings.TrimSpace(top)
	if err != nil && !global {
		return withCode(exitGeneric, errors.New("not inside a git repository: run 'hull git setup' in one (or use --global to set up only your global git config)"))
	}
	if err == nil {
		cfg, err := r.loadConfig(cl, "")
		if err != nil {
			return err
		}
		if err := r.setupAttributes(ctx, cfg, top); err != nil {
			return err
		}
	}
	where, dir := ".git/config", top
	if global {
		where = "global git config"
	}
	if dir == "" {
		dir = wd
	}
	changes, err := gitattr.ConfigureGit(ctx, dir, global)
	for _, ch := range changes {
		if ch.Set {
			fmt.Fprintf(r.stdout, "%s: set %s = %q\n", where, ch.Key, ch.Value)
		} else {
			fmt.Fprintf(r.stdout, "%s: %s is already %q\n", where, ch.Key, ch.Value)
		}
	}
	return gitattrErr(err)
}

// setupAttributes adds the .gitattributes lines for the creation rules of
// cfg (when it is in the repository whose top is top).
func (r *runner) setupAttributes(ctx context.Context, cfg *config.Config, top string) error {
	dir := top
	var patterns []string
	if cfg != nil && (cfg.Dir == top || strings.HasPrefix(cfg.Dir, top+string(filepath.Separator))) {
		dir = cfg.Dir
		for _, cr := range cfg.CreationRules {
			if cr.PathRegex == nil {
				continue
			}
			globs, ok := gitattr.Globs(cr.PathRegex.String())
			if !ok {
				r.warnf("%s:%d: path_regex %q has no .gitattributes equivalent; files it matches get a line each when they are tracked", config.FileName, cr.Line, cr.PathRegex.String())
				continue
			}
			patterns = append(patterns, globs...)
		}
	}
	rel, _ := filepath.Rel(top, filepath.Join(dir, ".gitattributes"))
	added, err := gitattr.AddAttributes(ctx, dir, patterns)
	for _, l := range added {
		fmt.Fprintf(r.stdout, "%s: added %q\n", rel, l)
	}
	if err != nil {
		return gitattrErr(err)
	}
	if len(added) == 0 {
		fmt.Fprintf(r.stdout, "%s: up to date\n", rel)
	}
	return nil
}
