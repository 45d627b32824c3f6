package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/cliflag"
	"github.com/hullsecrets/hull/sopsenv"
)

// Flag groups of set and unset.
const (
	gSet        = "set"        // set only: where the value comes from
	gIdempotent = "idempotent" // set and unset: --idempotent
)

// setCommand is the set subcommand.
func (r *runner) setCommand() *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "set one value in an encrypted file, in place",
		ArgsUsage: "FILE PATH [VALUE]",
		Description: "Sets the value at PATH (a tree path such as '[\"db\"][\"password\"]' or '[\"list\"][0]')\n" +
			"in the first document of FILE. VALUE is JSON: '\"a string\"', 42, true, null,\n" +
			"'{\"a\":1}', '[1,2]'. With --string it is taken literally as a string. With\n" +
			"--value-file the third argument names a file holding the value; with --value-stdin\n" +
			"the value is read from stdin and there is no third argument (keeps secrets out of\n" +
			"shell history and process listings). Missing keys are created, an index past the end\n" +
			"of a list appends. Only the changed value gets new ciphertext; the file is\n" +
			"rewritten atomically under a lock, so concurrent writers never lose an update.\n" +
			"Without --idempotent the file is always rewritten, as sops does.",
		Flags:        setFlags(gSet, gIdempotent),
		Action:       act(r.cmdSet),
		OnUsageError: usageError,
	}
}

// unsetCommand is the unset subcommand.
func (r *runner) unsetCommand() *cli.Command {
	return &cli.Command{
		Name:      "unset",
		Usage:     "remove one value from an encrypted file, in place",
		ArgsUsage: "FILE PATH",
		Description: "Removes the mapping key or list element at PATH from the first document of FILE.\n" +
			"A missing PATH is an error (exit 1), or success with nothing written with --idempotent.",
		Flags:        setFlags(gIdempotent),
		Action:       act(r.cmdUnset),
		OnUsageError: usageError,
	}
}

// setFlags are the flags of set and unset: the global ones, the input
// flags, --output-type (but not --output or --in-place: set always writes
// the file itself), --shamir-secret-sharing-threshold (accepted and
// ignored, as sops does) and the given groups.
func setFlags(groups ...string) []cli.Flag {
	fl := flagsFor(append([]string{gGlobal, gIn}, groups...)...)
	for _, f := range flagsFor(gOut, gKeys) {
		switch f.Names()[0] {
		case "output-type", "shamir-secret-sharing-threshold":
			fl = append(fl, f)
		}
	}
	cliflag.Sort(fl)
	return fl
}

// setValueLimit bounds a value read from a file or stdin.
var setValueLimit = formats.DefaultLimits.MaxBytes

func (r *runner) cmdSet(cl *cmdLine) error {
	src := sopsenv.SetSource{FromFile: cl.on("value-file"), Literal: cl.on("string"), Limit: setValueLimit}
	if cl.on("value-stdin") {
		src.Stdin = r.stdin
	}
	file, spec, err := src.Args(cl.args)
	if errors.Is(err, sopsenv.ErrSetArgs) {
		return withCode(exitNoFileSpecified, err)
	} else if err != nil {
		return err
	}
	path, err := parseSetPath(spec, "Invalid set index format")
	if err != nil {
		return err
	}
	value, err := src.Value()
	if errors.Is(err, sopsenv.ErrReadValue) {
		return withCode(exitCouldNotRead, err)
	} else if err != nil {
		return err
	}
	return r.runSet(cl, file, path, value, cl.on("idempotent"))
}

// parseSetPath parses the PATH argument of set and unset. A malformed path
// is sops's ErrorInvalidSetFormat (7) here, not 91 as for --extract, with
// sops's sentence for the command.
func parseSetPath(s, sentence string) ([]hull.PathStep, error) {
	p, err := hull.ParseTreePath(s)
	if err != nil {
		return nil, withCode(exitInvalidSetFormat, sopsSays(sentence, err))
	}
	return p, nil
}

// runSet sets value at path in file's first document and rewrites the file.
// Without idempotent the file is rewritten even when the value is already
// there (new lastmodified and MAC, every ciphertext kept), as sops does.
func (r *runner) runSet(cl *cmdLine, file string, path []hull.PathStep, value *formats.Node, idempotent bool) (err error) {
	defer r.audit(cl, "set", file)(&err) // audit.go: the result record
	if isStdin(file) {
		return withCode(exitNoFileSpecified, errors.New("set needs a file: it rewrites the file in place"))
	}
	if path[0].IsKey && path[0].Key == "sops" {
		return withCode(exitGeneric, errors.New(`the top-level key "sops" holds the file's metadata and cannot be set`))
	}
	fio, err := r.resolveIO(cl, file, false)
	if err != nil {
		return err
	}
	_, err = r.rewrite(cl, fio, rewriteOptions{hold: true}, func(f *formats.File, _ *hull.Opened) (bool, error) {
		changed, err := hull.SetIn(f, fio.out, path, value)
		if err != nil {
			return false, fmt.Errorf("%s: %w", fio.display(), err)
		}
		return changed || !idempotent, nil
	})
	return err
}

func (r *runner) cmdUnset(cl *cmdLine) (err error) {
	defer r.audit(cl, "unset", cl.arg(0))(&err) // audit.go: the result record
	if len(cl.args) != 2 {
		return withCode(exitNoFileSpecified, fmt.Errorf("usage: hull unset FILE PATH; got %d arguments", len(cl.args)))
	}
	file, spec := cl.arg(0), cl.arg(1)
	path, err := parseSetPath(spec, "Invalid unset index format")
	if err != nil {
		return err
	}
	if isStdin(file) {
		return withCode(exitNoFileSpecified, errors.New("unset needs a file: it rewrites the file in place"))
	}
	fio, err := r.resolveIO(cl, file, false)
	if err != nil {
		return err
	}
	idempotent := cl.on("idempotent")
	_, err = r.rewrite(cl, fio, rewriteOptions{hold: true}, func(f *formats.File, _ *hull.Opened) (bool, error) {
		return sopsenv.Unset(f, fio.out, path, fio.display(), spec, idempotent)
	})
	return err
}

// legacySet runs the sops top-level form hull --set '<path> <json>' FILE.
// As in sops, the argument is split after the first "] ", and the file is
// always rewritten.
func (r *runner) legacySet(cl *cmdLine, spec string) error {
	if cl.on("encrypt") || cl.on("decrypt") {
		return withCode(exitConflictingParams, errors.New("--set cannot be used with --encrypt or --decrypt"))
	}
	if cl.str("output") != "" {
		return withCode(exitConflictingParams, errors.New("--set rewrites FILE in place; --output cannot be used with it"))
	}
	if len(cl.args) != 1 {
		return withCode(exitNoFileSpecified, fmt.Errorf("usage: %s --set '<path> <json>' FILE; got %d arguments", r.name, len(cl.args)))
	}
	p, v, ok := hull.SplitLegacySet(spec)
	if !ok {
		return withCode(exitInvalidSetFormat, fmt.Errorf("invalid --set format: expected '<path> <json value>', such as '[\"key\"] \"value\"'"))
	}
	path, err := parseSetPath(p, "Invalid --set format")
	if err != nil {
		return err
	}
	value, err := sopsenv.SetValue(v, false)
	if err != nil {
		return err
	}
	return r.runSet(cl, cl.arg(0), path, value, false)
}
