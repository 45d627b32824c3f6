package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/cliflag"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/sopsenv"
)

// This file holds the commands that change who can read a file:
// updatekeys, rotate (and the legacy -r), groups add and groups delete
// (as sops names them). The recipient set they write comes from trusted input
// (the .sops.yaml creation rule, the command line) wherever there is one;
// when rotate and groups must take it from the file itself, they say so on
// stderr and refuse stanzas that hold no key (SECURITY.md, row 40).

// Flag groups of the key commands.
const (
	gRotate     = "rotate"     // rotate and the legacy -r: --add-*/--rm-*
	gUpdatekeys = "updatekeys" // updatekeys: --yes, --no-rotate
	gGroups     = "groups"     // groups add/delete: --file
)

// ---------------------------------------------------------------- commands

func (r *runner) updatekeysCommand() *cli.Command {
	return &cli.Command{
		Name:      "updatekeys",
		Usage:     "set the recipients of encrypted files to those of their .sops.yaml creation rule",
		ArgsUsage: "FILE...",
		Description: "For each FILE, compares its key groups and Shamir threshold with the creation rule of\n" +
			".sops.yaml that matches it, prints the changes and asks 'Is this okay? (y/n)' (stdin must\n" +
			"be a terminal; -y applies without asking). Adding recipients re-wraps the same data key:\n" +
			"values, MAC and lastmodified are unchanged. When a recipient is removed (or more key\n" +
			"groups become needed), hull also rotates the data key: every value is re-encrypted\n" +
			"with a new key, because whoever had the old key could otherwise read every later\n" +
			"version. --no-rotate keeps the key, as sops does. With several files hull continues\n" +
			"past failures and exits 1 at the end if any failed.",
		Flags:        flagsFor(gGlobal, gIn, gUpdatekeys, gRecursive),
		Action:       act(r.cmdUpdatekeys),
		OnUsageError: usageError,
	}
}

func rotateFlags(groups ...string) []cli.Flag {
	fl := flagsFor(append([]string{gGlobal, gIn, gOut}, groups...)...)
	fl = append(fl, cliflag.Pick(flagsFor(gKeys), "encryption-context", "aws-profile")...)
	cliflag.Sort(fl)
	return fl
}

func (r *runner) rotateCommand() *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "give an encrypted file a new data key, optionally adding or removing recipients",
		ArgsUsage: "FILE",
		Description: "Generates a new data key and re-encrypts every value with it (new IVs, new MAC and\n" +
			"lastmodified; the version and the encryption rule are kept). The key is wrapped for the\n" +
			"file's current recipients, as sops does, plus --add-* (into the first key group), minus\n" +
			"--rm-* (from every group). A recipient stanza without a wrapped key in the file is an\n" +
			"error (exit 29): it was not written by sops or hull and may have been injected to\n" +
			"receive the new key. So is, when the file has no valid hull MAC, a recipient that no\n" +
			".sops.yaml creation rule or --add-* flag names: it is listed and you are asked on a\n" +
			"terminal; --keep-recipients keeps it. The result goes to stdout, --output or, with -i, FILE.",
		Flags:        rotateFlags(gRotate, gRecursive),
		Action:       act(r.cmdRotate),
		OnUsageError: usageError,
	}
}

// groupsAddFlags are the flags of groups add: the key flags take one or
// more values each, as in sops.
func groupsAddFlags() []cli.Flag {
	fl := groupsBaseFlags()
	for _, f := range flagsFor(gKeys) {
		sf, ok := cliFlag(f).(*cli.StringFlag)
		if !ok {
			continue
		}
		isKey := false
		for _, k := range sopsenv.KeyFlags {
			isKey = isKey || sf.Name == k.Flag
		}
		if isKey {
			fl = append(fl, &cli.StringSliceFlag{Name: sf.Name, Aliases: sf.Aliases, Usage: sf.Usage + "; repeatable"})
		} else {
			fl = append(fl, f)
		}
	}
	cliflag.Sort(fl)
	return fl
}

// groupsBaseFlags are the flags of both groups subcommands. There is no
// --output-type: they keep the file's values as they are.
func groupsBaseFlags() []cli.Flag {
	fl := flagsFor(gGlobal, gIn, gGroups)
	return append(fl, cliflag.Pick(flagsFor(gOut), "in-place", "output", "force")...)
}

func groupsDeleteFlags() []cli.Flag {
	fl := groupsBaseFlags()
	fl = append(fl, cliflag.Pick(flagsFor(gKeys), "shamir-secret-sharing-threshold")...)
	cliflag.Sort(fl)
	return fl
}

func (r *runner) groupsCommand() *cli.Command {
	// The flags are parsed by "groups" itself: normalize moves every flag
	// before the first positional, which is the subcommand's name. The
	// subcommands list them too, for help and completion, and read them
	// from the parent context.
	return &cli.Command{
		Name:         "groups",
		Usage:        "add or delete key groups (Shamir secret sharing)",
		ArgsUsage:    "add|delete",
		Flags:        groupsAddFlags(),
		OnUsageError: usageError,
		Subcommands: []*cli.Command{
			{
				Name:  "add",
				Usage: "add a key group to a file and re-split its data key",
				Description: "Appends a key group made of the keys given with --age and --pgp, and re-wraps the\n" +
					"data key (split with Shamir's scheme) for all groups. The data key, the values, the MAC\n" +
					"and lastmodified do not change. --shamir-secret-sharing-threshold sets how many groups\n" +
					"are needed (default: the file's threshold, else all). Output goes to stdout unless -i.",
				Flags:        groupsAddFlags(),
				Action:       act(r.cmdGroupsAdd),
				OnUsageError: usageError,
			},
			{
				Name:      "delete",
				Usage:     "delete a key group (0-based INDEX) from a file",
				ArgsUsage: "INDEX",
				Description: "Deletes key group INDEX (0-based) and re-wraps the data key for the remaining groups.\n" +
					"The data key does not change: run 'hull rotate -i' afterwards so that the deleted\n" +
					"group's keys cannot read later versions. Output goes to stdout unless -i.",
				Flags:        groupsDeleteFlags(),
				Action:       act(r.cmdGroupsDelete),
				OnUsageError: usageError,
			},
		},
	}
}

// ------------------------------------------------------ reading the file

// openForKeys reads, parses and decrypts fio's file for a key command.
// Stanzas with an empty enc (which metadata.Load refuses) are set aside,
// so that the commands can show and drop them.
func (r *runner) openForKeys(cl *cmdLine, fio *fileIO) (*hull.KeyFile, error) {
	data, err := r.readInput(fio)
	if err != nil {
		return nil, err
	}
	kf := &hull.KeyFile{Original: data}
	kf.Plain, kf.Opened, err = r.open(cl, fio, data, nil, func(f *formats.File) { kf.Unusable = hull.StripUnusable(f.Meta) })
	if err != nil {
		return nil, err
	}
	if kf.Cipher, err = fio.parse(data, true); err != nil {
		return nil, err
	}
	return kf, nil
}

// ------------------------------------------------------------- recipients

// keySources are the key sources of the key transactions, with the
// endpoint check of --hc-vault-transit and the key services.
func (r *runner) keySources(cl *cmdLine) hull.KeySources {
	ks := sopsenv.KeySources(r.keySourceOptions())
	ks.Allow = func(groups [][]keysources.Recipient) error { return r.checkEndpoints(cl, groups) }
	ks.Route = r.viaKeyServices
	return ks
}

// keyCommand opens fio's file for rotate or groups (hull.KeyCommand) with
// the run's policy and key sources, the terminal question about
// recipients nobody vouched for and the notices on stderr.
func (r *runner) keyCommand(cl *cmdLine, fio *fileIO) (*hull.KeyCommand, error) {
	kf, err := r.openForKeys(cl, fio)
	if err != nil {
		return nil, err
	}
	pol, err := r.policy(cl, fio.ruleName())
	if err != nil {
		kf.Wipe()
		return nil, err
	}
	return &hull.KeyCommand{Policy: pol, File: kf, Display: fio.display(), Name: fio.ruleName(), Sources: r.keySources(cl),
		In: fio.in, Out: fio.out, Emit: fio.emitOpts, Confirm: r.keepUnvouched,
		Notify: func(msg string) { fmt.Fprintf(r.stderr, "%s: %s: %s\n", r.name, fio.display(), msg) }}, nil
}

// keyChangeError gives the errors of the key transactions their exit
// codes: a refusal of the trust policy is 29; a key type hull cannot wrap
// for says how to drop it.
func keyChangeError(err error) error {
	var ue *hull.UnsupportedKeyError
	switch {
	case errors.As(err, &ue):
		return withCode(exitGeneric, fmt.Errorf("%w; remove it with --rm-%s or list the recipients in .sops.yaml", err, sopsenv.FlagForType(ue.ID.Type)))
	case errors.Is(err, hull.ErrPolicy):
		return withCode(exitPolicyViolation, err)
	}
	return err
}

// keyChangeGiven reports whether any --add-*/--rm-* flag is given.
func keyChangeGiven(cl *cmdLine) bool {
	return len(sopsenv.KeyValues(cl.list, "add-")) > 0 || len(sopsenv.KeyValues(cl.list, "rm-")) > 0
}

func (r *runner) parseKeyChanges(cl *cmdLine) (hull.KeyChanges, error) {
	opts, err := r.keyOptions(cl)
	if err != nil {
		return hull.KeyChanges{}, err
	}
	kc, err := sopsenv.KeyChanges(sopsenv.KeyValues(cl.list, "add-"), sopsenv.KeyValues(cl.list, "rm-"), opts)
	return kc, withCode(exitGeneric, err)
}

// ruleRecipients are the key groups of a creation rule, to wrap a key
// for: cloud keys go through the run's hull-kms.
func (r *runner) ruleRecipients(cr *config.CreationRule, source string) ([][]keysources.Recipient, error) {
	groups, err := sopsenv.RuleRecipients(cr, source, all.Options{Companion: r.companion()})
	if err != nil {
		return nil, keyError(err)
	}
	return groups, nil
}

// ----------------------------------------------------------------- output

// deliver writes a key command's result: over the file with -i, under
// the directory lock, only if it still holds what was read (compare-and-
// swap), else to --output or stdout.
func (r *runner) deliver(fio *fileIO, kf *hull.KeyFile, out []byte) error {
	if fio.inPlace {
		return commitError(fio.path, hull.Commit(fio.path, kf.Original, out, false))
	}
	return r.write(fio, out, false)
}

// ------------------------------------------------------------- updatekeys

func (r *runner) cmdUpdatekeys(cl *cmdLine) error {
	if recursive(cl) { // -r: bulk (cmd_bulk.go)
		return r.bulkUpdatekeys(cl)
	}
	files := cl.args
	if len(files) == 0 {
		return withCode(exitNoFileSpecified, errors.New("no file given: updatekeys FILE..."))
	}
	answers := bufio.NewReader(r.stdin)
	failed := 0
	for _, path := range files {
		err := r.updateKeys(cl, path, answers)
		if err == nil {
			continue
		}
		if len(files) == 1 {
			return err
		}
		failed++
		r.errorf("%v", err)
		for _, h := range hints(err) {
			r.hintf("%s", h)
		}
	}
	if failed > 0 {
		return withCode(exitGeneric, fmt.Errorf("failed updating %d of %d files (see the errors above)", failed, len(files)))
	}
	return nil
}

func (r *runner) updateKeys(cl *cmdLine, path string, answers *bufio.Reader) (err error) {
	defer r.audit(cl, "updatekeys", path)(&err) // audit.go: the result record
	fio, err := r.resolveIO(cl, path, true)
	if err != nil {
		return err
	}
	if fio.path == "" {
		return withCode(exitConflictingParams, errors.New("updatekeys changes files in place: give a file, not stdin"))
	}
	pol, err := r.policy(cl, fio.name)
	if err != nil {
		return err
	}
	ks := hull.KeySources{Route: r.viaKeyServices, Allow: func(g [][]keysources.Recipient) error { return r.checkEndpoints(cl, g) }}
	u, err := sopsenv.UpdateKeys(pol, sopsenv.UpdateKeysInput{Path: fio.path, Name: fio.name, Options: all.Options{Companion: r.companion()}, Sources: ks,
		Open: func() (*hull.KeyFile, error) { return r.openForKeys(cl, fio) },
		Update: hull.UpdateOptions{KeepKey: cl.on("no-rotate"), In: fio.in, Out: fio.out, Emit: fio.emitOpts,
			Confirm: func(plan hull.KeyPlan, rotate bool) (bool, error) {
				plan.Describe(r.stdout, rotate)
				if cl.on("yes") {
					return true, nil
				}
				return r.confirm(path, answers)
			}}})
	var ce *sopsenv.ConfigError
	var ee *exitError
	switch {
	case errors.Is(err, sopsenv.ErrNoRule):
		return withCode(exitGeneric, fmt.Errorf("%w: updatekeys takes the recipients from it "+
			"(to change the keys by hand, use 'hull rotate --add-age/--rm-age' or 'hull groups')", err))
	case errors.As(err, &ce) && !errors.As(err, &ee):
		return withCode(exitErrorReadingConfig, err)
	}
	if re := (*hull.RewriteError)(nil); errors.As(err, &re) {
		return commitError(fio.path, re.Err)
	} else if err != nil {
		return err
	}
	if msg, warning := u.Report(path); msg != "" {
		fmt.Fprintln(r.stderr, msg)
		if warning != "" {
			r.warnf("%s", warning)
		}
	}
	return nil
}

// confirm asks whether to apply the changes to path.
func (r *runner) confirm(path string, answers *bufio.Reader) (bool, error) {
	ok, err := sopsenv.YesNo(r.stdout, "Is this okay?", answers)
	if err != nil {
		return false, withCode(exitGeneric, fmt.Errorf("%s: not changed: no answer (end of input); pass -y (--yes) to apply the changes without asking", path))
	}
	if !ok {
		fmt.Fprintf(r.stderr, "File %s left unchanged\n", path)
	}
	return ok, nil
}

// ----------------------------------------------------------------- rotate

func (r *runner) cmdRotate(cl *cmdLine) error {
	if recursive(cl) { // -r: bulk (cmd_bulk.go)
		return r.bulkRotate(cl)
	}
	path, err := oneFile(cl, false)
	if err != nil {
		return err
	}
	return r.rotate(cl, path)
}

// legacyRotate is the sops top-level form: hull -r [-i] [--add-age …] FILE.
func (r *runner) legacyRotate(cl *cmdLine) error {
	if len(cl.args) > 1 {
		return withCode(exitGeneric, fmt.Errorf("usage: one file expected, got %d arguments", len(cl.args)))
	}
	if cl.on("encrypt") || cl.on("decrypt") || cl.str("set") != "" {
		return withCode(exitConflictingParams, errors.New("--rotate (and --add-*/--rm-*) cannot be used with --encrypt, --decrypt or --set"))
	}
	path := cl.arg(0)
	if err := missingKeyFile(cl, path); err != nil {
		return err
	}
	if !cl.on("rotate") {
		return withCode(exitGeneric, errors.New("--add-*/--rm-* change the keys of a file only with -r (--rotate), as in sops: use 'hull -r -i --add-age … FILE' or 'hull rotate -i --add-age … FILE' (or 'hull updatekeys FILE' to apply .sops.yaml)"))
	}
	return r.rotate(cl, path)
}

// missingKeyFile gives sops's errors for a file that does not exist.
func missingKeyFile(cl *cmdLine, path string) error {
	if isStdin(path) {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	abs, _ := filepath.Abs(path)
	if keyChangeGiven(cl) {
		return withCode(exitCannotChangeKeys, fmt.Errorf("cannot add or remove keys on non-existent file %q, use the 'edit' or 'encrypt' subcommand instead", abs))
	}
	return withCode(exitNoFileSpecified, fmt.Errorf("cannot operate on non-existent file %q", abs))
}

func (r *runner) rotate(cl *cmdLine, path string) (err error) {
	defer r.audit(cl, "rotate", path)(&err) // audit.go: the result record
	if err := missingKeyFile(cl, path); err != nil {
		return err
	}
	fio, err := r.resolveIO(cl, path, true)
	if err != nil {
		return err
	}
	changes, err := r.parseKeyChanges(cl)
	if err != nil {
		return err
	}
	// sops's rotate keeps the file's recipients and rule; the creation
	// rule only vouches for recipients (docs/TRUST.md). The config is
	// read before the file is opened.
	if _, err := r.policy(cl, fio.ruleName()); err != nil {
		return err
	}
	kc, err := r.keyCommand(cl, fio)
	if err != nil {
		return err
	}
	defer kc.File.Wipe()
	out, err := kc.Rotate(changes, func(u hull.KeyID) {
		r.warnf("%s: --rm-%s %s: not a key of the file", fio.display(), sopsenv.FlagForType(u.Type), u.ID)
	})
	if err != nil {
		return keyChangeError(err)
	}
	return r.deliver(fio, kc.File, out)
}

// keepUnvouched asks on a terminal whether to give the data key to
// recipients nobody vouched for (hull.Policy.Vouch says which and why).
func (r *runner) keepUnvouched(msg string) bool {
	if !isTerminal(r.stdin) {
		return false
	}
	fmt.Fprintf(r.stderr, "%s\nKeep them? (y/n): ", msg)
	line, _ := bufio.NewReader(r.stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// ----------------------------------------------------------------- groups

// groupsFile resolves --file of groups add/delete.
func (r *runner) groupsFile(cl *cmdLine) (*fileIO, error) {
	path := cl.str("file")
	if path == "" {
		return nil, withCode(exitNoFileSpecified, errors.New("no file given: use --file FILE"))
	}
	return r.resolveIO(cl, path, true)
}

// thresholdFlag is --shamir-secret-sharing-threshold (0: the file's).
func thresholdFlag(cl *cmdLine) (int, error) {
	n, _, err := sopsenv.Threshold(cl.str("shamir-secret-sharing-threshold"))
	return n, withCode(exitGeneric, err)
}

func (r *runner) cmdGroupsAdd(cl *cmdLine) (err error) {
	defer r.audit(cl, "groups-add", cl.str("file"))(&err) // audit.go: the result record
	if len(cl.args) > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: groups add takes no arguments (the file is --file), got %s", strings.Join(cl.args, " ")))
	}
	fio, err := r.groupsFile(cl)
	if err != nil {
		return err
	}
	opts, err := r.keyOptions(cl)
	if err != nil {
		return err
	}
	group, err := sopsenv.NewGroup(sopsenv.KeyValues(cl.list, ""), opts)
	if err != nil {
		return withCode(exitGeneric, err)
	}
	t, err := thresholdFlag(cl)
	if err != nil {
		return err
	}
	return r.regroup(cl, fio, func(kc *hull.KeyCommand) ([]byte, error) { return kc.AddGroup(group, t) })
}

func (r *runner) cmdGroupsDelete(cl *cmdLine) (err error) {
	defer r.audit(cl, "groups-delete", cl.str("file"))(&err) // audit.go: the result record
	if len(cl.args) != 1 {
		return withCode(exitGeneric, errors.New("usage: groups delete --file FILE INDEX (one 0-based group index)"))
	}
	idx, err := strconv.Atoi(cl.arg(0))
	if err != nil || idx < 0 {
		return withCode(exitGeneric, fmt.Errorf("groups delete: INDEX %q is not a group number (0-based)", cl.arg(0)))
	}
	if err := sopsenv.NoKeys(sopsenv.KeyValues(cl.list, "")); err != nil {
		return withCode(exitGeneric, err)
	}
	fio, err := r.groupsFile(cl)
	if err != nil {
		return err
	}
	t, err := thresholdFlag(cl)
	if err != nil {
		return err
	}
	if err := r.regroup(cl, fio, func(kc *hull.KeyCommand) ([]byte, error) { return kc.DeleteGroup(idx, t) }); err != nil {
		return err
	}
	r.warnf("%s: the data key was not changed: the keys of the deleted group can still read this file with an old copy of it; run 'hull rotate -i' to change the key", fio.display())
	return nil
}

// regroup opens fio's file, re-wraps its data key for other groups
// (change: hull.KeyCommand.AddGroup or DeleteGroup; values, MAC and
// lastmodified unchanged), and writes the result.
func (r *runner) regroup(cl *cmdLine, fio *fileIO, change func(*hull.KeyCommand) ([]byte, error)) error {
	kc, err := r.keyCommand(cl, fio)
	if err != nil {
		return err
	}
	defer kc.File.Wipe()
	out, err := change(kc)
	if err != nil {
		var ee *exitError
		if err = keyChangeError(err); !errors.As(err, &ee) && !errors.Is(err, keysources.ErrEndpointNotAllowed) {
			err = withCode(exitGeneric, err)
		}
		return err
	}
	return r.deliver(fio, kc.File, out)
}
