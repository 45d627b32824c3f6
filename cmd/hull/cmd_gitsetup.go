package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/internal/gitattr"
)

func (r *runner) cmdGitSetup(cl *cmdLine) error {
	if len(cl.args) > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: hull git setup [--global] (no arguments expected, got %q)", cl.arg(0)))
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	var cfgErr error
	// normalize moves --global before "setup", onto the git command.
	rep, err := gitattr.Setup(context.Background(), gitattr.SetupOptions{Dir: wd, Global: cl.on("global"),
		Config: func() (*config.Config, error) { c, err := r.loadConfig(cl, ""); cfgErr = err; return c, err }})
	for _, w := range rep.Warnings {
		r.warnf("%s", w)
	}
	for _, l := range rep.Lines() {
		fmt.Fprintln(r.stdout, l)
	}
	if err != nil && err == cfgErr {
		return err
	}
	return gitattrErr(err)
}
