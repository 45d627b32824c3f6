package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/internal/gitattr"
)

// Git integration: "hull diff" (a textconv driver), "hull merge" (a merge
// driver) and "hull git setup", which configures both.

// Flag groups of the git commands.
const (
	gGit   = "git"   // git setup
	gMerge = "merge" // merge
)

// exitMergeConflict is what merge returns when it leaves conflicts (or
// refuses to merge): any status but 0 makes git report a conflict.
const exitMergeConflict = exitGeneric

func (r *runner) diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "print a file decrypted, for git diff (a textconv driver; see 'hull git setup')",
		ArgsUsage: "FILE",
		Description: "Prints FILE decrypted, as 'hull decrypt' does, for git's textconv. A file that\n" +
			"is not encrypted is printed as it is. When FILE cannot be decrypted (no key), it is\n" +
			"printed with each encrypted value shortened to ENC[…] and a short hash of its\n" +
			"ciphertext, after a one-line note; the exit status is still 0 so that 'git log -p'\n" +
			"keeps working. The format comes from the file name (git keeps it in the name of\n" +
			"its temporary copies), --input-type or --filename-override.",
		Flags:        flagsFor(gGlobal, gIn),
		Action:       act(r.cmdDiff),
		OnUsageError: usageError,
	}
}

func (r *runner) mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "three-way merge of encrypted files, key by key (a git merge driver; see 'hull git setup')",
		ArgsUsage: "BASE OURS THEIRS [PATH]   or   --resolve ours|theirs FILE",
		Description: "Decrypts the three versions in memory, merges them key by key and writes the\n" +
			"result, encrypted with the file's data key and with a new MAC, to OURS. Values\n" +
			"that did not change keep their ciphertext. PATH (git's %P) names the file in the\n" +
			"repository; it chooses the format and the .sops.yaml rule. Where both sides changed\n" +
			"the same key differently, OURS gets git conflict markers around the two ENCRYPTED\n" +
			"versions (never plaintext) and the exit status is 1. Resolve with\n" +
			"'hull merge --resolve ours|theirs FILE' (one side for every conflict), then\n" +
			"'hull edit FILE' to make further changes. Files whose data keys differ (one side\n" +
			"rotated the key) or whose recipients both sides changed differently are not\n" +
			"merged: OURS is left as it is and the exit status is 1.",
		Flags:        flagsFor(gGlobal, gIn, gMerge),
		Action:       act(r.cmdMerge),
		OnUsageError: usageError,
	}
}

func (r *runner) gitCommand() *cli.Command {
	setup := &cli.Command{
		Name:  "setup",
		Usage: "configure git to diff and merge encrypted files with hull",
		Description: "Adds lines '<pattern> diff=hull merge=hull' to .gitattributes (next to the\n" +
			".sops.yaml, else at the top of the repository) for the files the creation rules\n" +
			"cover, plus every tracked file that is already encrypted and not covered, and sets\n" +
			"diff.hull.textconv, diff.hull.cachetextconv (false: git never caches plaintext),\n" +
			"merge.hull.name and merge.hull.driver in the repository's git config (with\n" +
			"--global, in your global git config). Running it again changes nothing.",
		Flags:        flagsFor(gGlobal, gGit),
		Action:       act(r.cmdGitSetup),
		OnUsageError: usageError,
	}
	return &cli.Command{
		Name:         "git",
		Usage:        "git integration: 'hull git setup'",
		Flags:        flagsFor(gGlobal, gGit),
		Subcommands:  []*cli.Command{setup},
		OnUsageError: usageError,
		Action: func(*cli.Context) error {
			return withCode(exitGeneric, errors.New("usage: hull git setup [--global]"))
		},
	}
}

// gitFile is a file hull diff and merge read: its format comes from
// --input-type, else its name (--filename-override, else the name given),
// else its content (all.Detect).
func gitFile(cl *cmdLine, path string, data []byte) (*fileIO, error) {
	fio := &fileIO{path: path, name: path}
	if cl.isSet("filename-override") {
		fio.name = cl.str("filename-override")
	}
	in, err := all.Detect(fio.name, cl.str("input-type"), data)
	if err != nil {
		return nil, withCode(exitGeneric, fmt.Errorf("--input-type: %w", err))
	}
	fio.in, fio.out = in, in
	return fio, nil
}

// cmdDiff is git's textconv (gitattr.Show).
func (r *runner) cmdDiff(cl *cmdLine) error {
	path, err := oneFile(cl, false)
	if err != nil {
		return err
	}
	data, err := readFile(path)
	if err != nil {
		return err
	}
	fio, err := gitFile(cl, path, data)
	if err != nil {
		return err
	}
	return r.write(fio, gitattr.Show(data, fio.in, func() (*formats.File, error) {
		f, _, err := r.open(cl, fio, data, nil, nil)
		return f, err
	}), false)
}

// cmdMerge is git's merge driver (gitattr.Merge).
func (r *runner) cmdMerge(cl *cmdLine) error {
	if res := cl.str("resolve"); res != "" {
		return r.mergeResolve(cl, res)
	}
	args := cl.args
	if len(args) != 3 && len(args) != 4 {
		return withCode(exitNoFileSpecified, fmt.Errorf("usage: hull merge BASE OURS THEIRS [PATH] (git's %%O %%A %%B %%P), got %d arguments", len(args)))
	}
	oursPath, display := args[1], args[1]
	if len(args) == 4 {
		display = args[3]
	}
	var fio *fileIO // the format and rule name, from OURS
	res, err := gitattr.Merge(context.Background(), gitattr.MergeDriver{Base: args[0], Ours: oursPath, Theirs: args[2], Display: display, Out: r.stderr, Read: readFile,
		Format: func(ours []byte) (_ formats.Format, _ string, err error) {
			if fio, err = gitFile(cl, display, ours); err != nil {
				return nil, "", err
			}
			return fio.in, fio.name, nil
		},
		Open: func(side string, d []byte, st *hull.Stash) (*formats.File, *hull.Opened, error) {
			return r.open(cl, &fileIO{path: display + " (" + side + ")", name: fio.name, in: fio.in, out: fio.in}, d, st, nil)
		},
		Policy: func() (*hull.Policy, error) { return r.policy(cl, fio.name) }})
	switch {
	case errors.Is(err, hull.ErrDifferentKeys):
		r.errorf("%v", err)
		r.hintf("take one side ('git checkout --theirs %s' or --ours) and apply the other side's changes with 'hull edit'", display)
		return &childExit{code: exitMergeConflict}
	case errors.As(err, new(*hull.MergeRefusedError)):
		return withCode(exitPolicyViolation, err)
	case errors.As(err, new(*gitattr.NotMergedError)), errors.Is(err, gitattr.ErrMergeFile):
		return withCode(exitMergeConflict, err)
	case errors.As(err, new(*gitattr.FileError)):
		return gitattrErr(err)
	case err != nil:
		return err
	case res.Text && res.TextConflicts > 0:
		r.warnf("%s is not encrypted: merged as text, with %d conflict(s)", display, res.TextConflicts)
		return &childExit{code: exitMergeConflict}
	case len(res.Conflicts) > 0:
		r.errorf("%s: merge conflict: both sides changed %s", display, res.ConflictPlaces())
		r.hintf("the file holds both encrypted versions between conflict markers; take one side for every conflict with 'hull merge --resolve ours %s' (or theirs), then change what you need with 'hull edit %s'", display, display)
		return &childExit{code: exitMergeConflict}
	}
	return nil
}

// mergeResolve takes one side of every conflict in FILE, checks that the
// result decrypts (MAC included) and writes it in place (gitattr.Resolve).
func (r *runner) mergeResolve(cl *cmdLine, which string) error {
	if which != "ours" && which != "theirs" {
		return withCode(exitGeneric, fmt.Errorf("--resolve %q: give ours or theirs", which))
	}
	path, err := oneFile(cl, false)
	if err != nil {
		return err
	}
	var fio *fileIO
	err = gitattr.Resolve(gitattr.Resolution{Path: path, Read: readFile, Ours: which == "ours",
		Format: func(out []byte) (err error) { fio, err = gitFile(cl, path, out); return err },
		Verify: func(out []byte) error { _, _, err := r.open(cl, fio, out, nil, nil); return err }})
	if errors.As(err, new(*gitattr.FileError)) {
		return gitattrErr(err)
	}
	return err
}
