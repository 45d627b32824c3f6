package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/editor"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/cliflag"
	"github.com/hullsecrets/hull/internal/fserr"
)

const editDescription = `Decrypts FILE into a private temporary directory (on /dev/shm when it
exists, mode 0700, the file 0600), runs $SOPS_EDITOR, else $EDITOR, else the
first of vim, nano and vi on it, and encrypts the result back with the same
data key. Values you did not change keep their exact ciphertext, so 'git
diff' shows only what you changed (plus lastmodified and mac). The
temporary directory is removed on every exit, also on SIGINT, SIGTERM,
SIGHUP, SIGQUIT and SIGABRT; one that a killed hull (SIGKILL) left behind is
removed by the next edit (only hull's own directories, owned by you, whose
process is gone). vim and neovim run without swap, backup, undo and viminfo
files.

When FILE does not exist, the editor starts on an example document and the
result is encrypted for the recipients of --age (or SOPS_AGE_RECIPIENTS)
with the rule flags, into a new file with mode 0600.

If the edited text is invalid and stdin is a terminal, hull shows the error
and offers to edit again; otherwise it gives up and writes nothing (exit 2).
With --show-master-keys (-s) the sops metadata is shown in the editor too,
read-only: changing it is refused.

Exit status: 200 when nothing was changed, 201 when no editor can be run or
the editor fails, 32 when FILE changed on disk while the editor was open,
128+n when interrupted by signal n. In every failure FILE is left untouched.
When FILE changed on disk (or was created) while the editor was open, the
edit is not lost: it is kept, encrypted as it would have been written, in
FILE's directory as NAME.hull-edit-TIME.EXT (mode 0600), and the message
says how to carry it over.`

// editFlags are the flags of 'hull edit' (as sops's edit takes them): the global, input,
// key and rule flags, plus --output-type and --show-master-keys, which
// belong to groups edit does not take whole.
func editFlags() []cli.Flag {
	fl := flagsFor(gGlobal, gIn, gKeys, gRules)
	for _, f := range append(flagsFor(gOut), flagsFor(gLegacy)...) {
		switch flagNames(f)[0] {
		case "output-type":
			fl = append(fl, f)
		case "show-master-keys":
			if b, ok := cliFlag(f).(*cli.BoolFlag); ok {
				b.Usage = "show the sops metadata in the editor too (read-only)"
			}
			fl = append(fl, f)
		}
	}
	cliflag.Sort(fl)
	return fl
}

func (r *runner) editCommand() *cli.Command {
	return &cli.Command{
		Name:         "edit",
		Usage:        "edit an encrypted file in your editor, or create one",
		ArgsUsage:    "FILE",
		Description:  editDescription,
		Flags:        editFlags(),
		Action:       act(r.cmdEdit),
		OnUsageError: usageError,
	}
}

func (r *runner) cmdEdit(cl *cmdLine) error {
	path, err := oneFile(cl, false)
	if err != nil {
		return err
	}
	return r.edit(cl, path)
}

// edit runs 'hull edit FILE' and the legacy 'hull [flags] FILE'.
func (r *runner) edit(cl *cmdLine, path string) (err error) {
	defer r.audit(cl, "edit", path)(&err) // audit.go: the result record
	if isStdin(path) {
		return withCode(exitNoFileSpecified, errors.New("edit needs a file, not stdin"))
	}
	if cl.has("output") && cl.str("output") != "" {
		return withCode(exitConflictingParams, errors.New("--output cannot be used when editing: the file is edited in place"))
	}
	fio, err := r.resolveIO(cl, path, false)
	if err != nil {
		return err
	}
	if err := r.setupKeyservice(cl); err != nil {
		return err
	}
	cmd, err := editor.Resolve(r.env.get("SOPS_EDITOR"), r.env.get("EDITOR"), exec.LookPath)
	if err != nil {
		return withCode(exitNoEditor, err)
	}
	showMeta := cl.on("show-master-keys")
	_, err = os.Lstat(path)
	switch {
	case err == nil:
		r.warnIgnoredKeyFlags(cl, path)
		return r.editExisting(cl, fio, cmd, showMeta)
	case errors.Is(err, fs.ErrNotExist):
		return r.editNew(cl, fio, cmd)
	}
	return withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", path, fserr.Bare(err)))
}

// warnIgnoredKeyFlags says that key and rule flags given on the command
// line do nothing for a file that exists (sops ignores them silently).
func (r *runner) warnIgnoredKeyFlags(cl *cmdLine, path string) {
	var given []string
	for _, f := range flagsFor(gKeys, gRules) {
		n := flagNames(f)[0]
		if cl.isSet(n) && cl.has(n) {
			given = append(given, "--"+n)
		}
	}
	if len(given) > 0 {
		r.warnf("%s exists: %v only apply when creating a file, and are ignored (use 'updatekeys' or 'rotate' to change keys)", path, given)
	}
}

// session are the editor settings of both kinds of edit, for path.
func (r *runner) session(cmd *editor.Command, path string, emit formats.EmitOptions) editor.Session {
	return editor.Session{Path: path, Emit: emit, Warn: func(msg string) { r.warnf("%s", msg) }, Options: editor.Options{
		Command: cmd, FileName: path, Env: os.Environ(), Stdin: r.stdin, Stdout: r.stdout, Stderr: r.stderr,
		Interactive: isTerminal(r.stdin), PromptOut: r.stderr, PromptPrefix: r.name + ": error: ",
	}}
}

// editError gives the errors of an edit (editor.Document.Edit) their
// exit codes.
func editError(err error) error {
	var se *editor.SignalError
	var ve *editor.ValidationError
	switch {
	case errors.Is(err, editor.ErrNotModified):
		return withCode(exitFileNotModified, err)
	case errors.As(err, &se):
		return withCode(se.ExitCode(), err)
	case errors.Is(err, editor.ErrEditorFailed), errors.Is(err, editor.ErrNoEditor):
		return withCode(exitNoEditor, err)
	case errors.As(err, &ve):
		return withCode(exitCouldNotRead, sopsSays("", err)) // sops loops here: no sentence of its own
	}
	return err
}

// editExisting edits an encrypted file. The rewrite does not hold the
// directory lock while the editor is open; its compare-and-swap refuses to
// write if the file changed meanwhile.
func (r *runner) editExisting(cl *cmdLine, fio *fileIO, cmd *editor.Command, showMeta bool) error {
	unchanged := false
	keep := func(sealed []byte) error { return keepEdit(fio.path, sealed, "changed") }
	_, err := r.rewrite(cl, fio, rewriteOptions{hold: false, onConflict: keep}, func(f *formats.File, o *hull.Opened) (bool, error) {
		doc := &editor.Document{Format: fio.out}
		if showMeta {
			doc.Shown = o.Meta
		}
		changed, err := doc.Edit(context.Background(), f, r.session(cmd, fio.path, fio.emitOpts))
		if err != nil {
			return false, editError(err)
		}
		if unchanged = !changed; changed {
			f.Docs = doc.Edited.Docs
		}
		return changed, nil
	})
	if err != nil {
		return err
	}
	if unchanged {
		return withCode(exitFileNotModified, fmt.Errorf("%s: no value has changed (only formatting), nothing was written", fio.path))
	}
	return nil
}

// keepEdit keeps an edit that could not be written because someone else
// changed (or created) path while the editor was open (editor.KeepEdit).
func keepEdit(path string, sealed []byte, what string) error {
	return withCode(exitConcurrentModification, editor.KeepEdit(path, sealed, what, time.Now()))
}

// editNew creates an encrypted file from the example document
// (editor.Create).
func (r *runner) editNew(cl *cmdLine, fio *fileIO, cmd *editor.Command) error {
	path := fio.path
	// The keys and the rule come from the flags, else from .sops.yaml,
	// exactly as for encrypt.
	pol, err := r.resolvePolicy(cl, fio.name)
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", path, err)
	}
	fio.emitOpts = pol.Indent(fio.out.Name(), fio.emitOpts)
	rl := r.singleValueRule(fio.in, pol.Rule)
	eo := hull.EncryptOptions{Groups: r.viaKeyServices(pol.Groups), ShamirThreshold: pol.Threshold, Rule: rl, MACOnlyEncrypted: pol.MACOnlyEncrypted}
	out, err := editor.Create(context.Background(), fio.out, r.session(cmd, path, fio.emitOpts), func(f *formats.File) ([]byte, error) {
		return hull.CreateFile(path, f, fio.out, fio.emitOpts, eo)
	})
	switch {
	case errors.Is(err, hull.ErrExists):
		return keepEdit(path, out, "created")
	case errors.Is(err, hull.ErrWrite):
		return withCode(exitCouldNotWrite, err)
	}
	return editError(err)
}
