package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/internal/bulk"
	"github.com/hullsecrets/hull/sopsenv"
)

// This file holds the rule-driven bulk forms of encrypt, decrypt,
// updatekeys and rotate (-r/--recursive): each walks the given directories
// (default: the working directory), picks the files a .sops.yaml creation
// rule covers (internal/bulk says which), works on them concurrently,
// keeps going past a failing file and ends with a summary on stderr. A
// progress bar is drawn on stderr when it is a terminal.

const gRecursive = "recursive" // encrypt, decrypt, updatekeys, rotate: -r

// recursive reports whether -r/--recursive was given.
func recursive(cl *cmdLine) bool {
	return cl.on("recursive")
}

// configFlag is the config every walked file is checked against:
// --config, else SOPS_CONFIG, else "" (each file's own).
func (r *runner) configFlag(cl *cmdLine) string {
	if cfg := cl.str("config"); cfg != "" {
		return cfg
	}
	return r.env.get("SOPS_CONFIG")
}

// warnLine prints a warning line as it is.
func (r *runner) warnLine(w string) { r.warnf("%s", w) }

// walkErr gives the errors of a walk their exit codes.
func walkErr(err error) error {
	switch {
	case errors.As(err, new(*bulk.ConfigError)):
		return withCode(exitErrorReadingConfig, err)
	case errors.As(err, new(*bulk.WalkError)):
		return withCode(exitNoFileSpecified, err)
	}
	return err
}

// newProgress is a progress bar on stderr when it is a terminal.
func (r *runner) newProgress(label string) *bulk.Progress {
	return bulk.TerminalProgress(r.stderr, label, r.env.get("TERM") == "dumb")
}

// fork is a copy of r whose output goes to a buffer, so that concurrent
// workers do not interleave their messages.
func (r *runner) fork(w io.Writer) *runner {
	sub := *r
	sub.stdout, sub.stderr = w, w
	sub.stdin = strings.NewReader("")
	return &sub
}

// bulkOp works on one encrypted (or, for encrypt, plaintext) file, with
// output going to sub and its own copy of the context.
type bulkOp func(sub *runner, cl *cmdLine, path string) error

// runBulk runs op in place and concurrently over the files a rule
// matches under the roots (the command's arguments, default "."), and
// prints failures, warnings and a summary on stderr. It fails (exit 1)
// when any file failed.
func (r *runner) runBulk(cl *cmdLine, spec bulk.Spec, op bulkOp) error {
	if err := noStdinRoots(cl); err != nil {
		return err
	}
	cl, err := inPlace(cl)
	if err != nil {
		return err
	}
	files, err := r.selectedFiles(cl)
	if err != nil {
		return err
	}
	return r.runBulkFiles(cl, spec, files, op)
}

// selectedFiles walks the command's arguments (default ".") and keeps the
// files a rule matches (bulk.WalkTree).
func (r *runner) selectedFiles(cl *cmdLine) ([]bulk.File, error) {
	files, _, err := bulk.WalkTree(cl.args, r.configFlag(cl), r.warnLine)
	return bulk.Selected(files), walkErr(err)
}

// runBulkFiles runs op on the files (bulk.Change), each with its own
// copy of the runner whose messages are kept until the file is done.
func (r *runner) runBulkFiles(cl *cmdLine, spec bulk.Spec, files []bulk.File, op bulkOp) error {
	verbose := cl.on("verbose")
	bar := r.newProgress(spec.Verb)
	sum := bulk.Change(files, spec, func(f bulk.File, log io.Writer) error {
		sub := r.fork(log)
		if f.Config != nil {
			sub.configPath = filepath.Join(f.Config.Dir, config.FileName)
		}
		return op(sub, cl, f.Path)
	}, bulk.ChangeHooks{Progress: bar.Draw, Done: func(res bulk.Result) {
		bar.Clear()
		r.printBulkResult(res, verbose)
	}})
	fmt.Fprintf(r.stderr, "%s: %s: %s\n", r.name, spec.Verb, sum)
	return withCode(exitGeneric, sum.Err(spec.Verb))
}

// printBulkResult prints what the user needs to see about one file: its
// error, and its warnings (everything with --verbose).
func (r *runner) printBulkResult(res bulk.Result, verbose bool) {
	for _, line := range res.Shown(verbose) {
		fmt.Fprintln(r.stderr, line)
	}
	if res.Err != nil {
		r.errorf("%s", res.Message())
		for _, h := range hints(res.Err) {
			r.hintf("%s", h)
		}
	} else if res.Note != "" && (verbose || res.Outcome == bulk.Skipped) {
		fmt.Fprintf(r.stderr, "%s: %s: %s\n", r.name, res.Path, res.Note)
	}
}

// inPlace is cl with -i: the per-file commands write back to the file.
func inPlace(cl *cmdLine) (*cmdLine, error) {
	if cl.str("output") != "" {
		return nil, withCode(exitConflictingParams, errors.New("--recursive works in place: --output cannot be used with it"))
	}
	if cl.has("in-place") {
		return cl.with("in-place"), nil
	}
	return cl, nil
}

func noStdinRoots(cl *cmdLine) error {
	for _, a := range cl.args {
		if isStdin(a) {
			return withCode(exitConflictingParams, errors.New("--recursive works on files and directories, not stdin"))
		}
	}
	if cl.isSet("filename-override") || cl.isSet("input-type") {
		return withCode(exitConflictingParams, errors.New("--recursive chooses each file's format from its name: --input-type and --filename-override cannot be used with it"))
	}
	return nil
}

// ---------------------------------------------- encrypt, decrypt, rotate -r

func (r *runner) bulkEncrypt(cl *cmdLine) error {
	return r.runBulk(cl, bulk.EncryptSpec, (*runner).encrypt)
}

func (r *runner) bulkDecrypt(cl *cmdLine) error {
	if err := noStdinRoots(cl); err != nil {
		return err
	}
	if cl.str("extract") != "" {
		return withCode(exitConflictingParams, errors.New("--extract cannot be used with --recursive"))
	}
	return r.runBulk(cl, bulk.DecryptSpec, (*runner).decrypt)
}

func (r *runner) bulkRotate(cl *cmdLine) error {
	return r.runBulk(cl, bulk.RotateSpec, (*runner).rotate)
}

// --------------------------------------------------------- updatekeys -r

func (r *runner) bulkUpdatekeys(cl *cmdLine) error {
	if err := noStdinRoots(cl); err != nil {
		return err
	}
	files, err := r.selectedFiles(cl)
	if err != nil {
		return err
	}
	if !cl.on("yes") {
		// One question for the whole tree (bulk.ConfirmUpdate).
		answers := bufio.NewReader(r.stdin)
		n, ok, err := bulk.ConfirmUpdate(context.Background(), files, r.stdout, func(q string) (bool, error) { return sopsenv.YesNo(r.stdout, q, answers) })
		switch {
		case err != nil:
			return withCode(exitGeneric, err)
		case n == 0:
			fmt.Fprintf(r.stderr, "%s: updatekeys: the keys of all %d files match their creation rules\n", r.name, len(files))
			return nil
		case !ok:
			fmt.Fprintf(r.stderr, "%s: updatekeys: no file was changed\n", r.name)
			return nil
		}
		cl = cl.with("yes")
	}
	return r.runBulkFiles(cl, bulk.UpdatekeysSpec, files, func(sub *runner, cl *cmdLine, path string) error {
		return sub.updateKeys(cl, path, nil)
	})
}
