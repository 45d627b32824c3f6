package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/internal/execx"
)

// Flag groups of exec-env and exec-file.
const (
	gExec     = "exec"      // both
	gExecEnv  = "exec-env"  // exec-env only
	gExecFile = "exec-file" // exec-file only
)

func (r *runner) execEnvCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec-env",
		Usage:     "run a command with the decrypted values in its environment",
		ArgsUsage: "FILE 'COMMAND'  |  FILE -- PROGRAM [ARG...]",
		Description: "Each top-level value of FILE becomes an environment variable of the command, exactly\n" +
			"as stored (no shell evaluation). 'COMMAND' is one string run by /bin/sh -c, as sops does;\n" +
			"after --, PROGRAM runs with its arguments and no shell. Numbers are passed as written,\n" +
			"booleans as true/false, null as an empty value. hull's identity variables\n" +
			"(" + strings.Join(execx.IdentityVars, ", ") + ")\n" +
			"are not passed on unless FILE defines them. hull forwards SIGINT, SIGTERM, SIGHUP,\n" +
			"SIGQUIT, SIGUSR1 and SIGUSR2 to the command, waits for it and exits with its status\n" +
			"(128+n if signal n killed it).",
		Flags:        execFlags(gExecEnv),
		Action:       act(r.cmdExecEnv),
		OnUsageError: usageError,
	}
}

func (r *runner) execFileCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec-file",
		Usage:     "run a command that reads the decrypted file from a private named pipe",
		ArgsUsage: "FILE 'COMMAND'  |  FILE -- PROGRAM [ARG...]",
		Description: "The plaintext is served through a named pipe (or, with --no-fifo, a 0600 file) in a\n" +
			"fresh private directory that is removed afterwards. Its path is in $" + execx.FileVar + ". In 'COMMAND'\n" +
			"(run by /bin/sh -c) every {} is replaced by a quoted reference to $" + execx.FileVar + "; after --,\n" +
			"every {} in an argument is replaced by the path. The pipe can be read several times while\n" +
			"the command runs. Exit status and signals as for exec-env.",
		Flags:        execFlags(gExecFile),
		Action:       act(r.cmdExecFile),
		OnUsageError: usageError,
	}
}

// execFlags are the flags of exec-env or exec-file: the shared groups,
// plus --extract and (exec-file) --output-type from the table.
func execFlags(group string) []cli.Flag {
	fl := flagsFor(gGlobal, gIn, gExec, group)
	fl = append(fl, pickFlag(flagsFor(gDecrypt), "extract")...)
	if group == gExecFile {
		fl = append(fl, pickFlag(flagsFor(gOut), "output-type")...)
	}
	sort.SliceStable(fl, func(i, j int) bool { return flagNames(fl[i])[0] < flagNames(fl[j])[0] })
	return fl
}

func pickFlag(fl []cli.Flag, name string) []cli.Flag {
	for _, f := range fl {
		if flagNames(f)[0] == name {
			return []cli.Flag{f}
		}
	}
	return nil
}

// scrubbedEnv are hull's identity variables, kept from children.
var scrubbedEnv = execx.IdentityVars

// execSetup reads what both commands need before decrypting: the file,
// the child to run, --extract.
func (r *runner) execSetup(cl *cmdLine) (*fileIO, *execx.Child, []hull.PathStep, error) {
	file, argv, command, err := execx.ParseArgs(cl.command(), cl.args)
	if err != nil {
		return nil, nil, nil, withCode(exitGeneric, err)
	}
	ch := &execx.Child{Argv: argv, Command: command, Env: execx.Environ(os.Environ(), r.env.lookup), PathEnv: r.env.get("PATH"), Stdin: r.stdin, Stdout: r.stdout, Stderr: r.stderr}
	ch.Scrub = append(append([]string{}, execx.IdentityVars...), cl.list("scrub-env")...)
	fio, err := r.resolveIO(cl, file, false)
	if err != nil {
		return nil, nil, nil, err
	}
	var extract []hull.PathStep
	if p := cl.str("extract"); p != "" {
		if extract, err = hull.ParseTreePath(p); err != nil {
			return nil, nil, nil, err
		}
	}
	if name := cl.str("user"); name != "" {
		if ch.User, ch.Set, err = execx.LookupUser(name); err != nil {
			return nil, nil, nil, withCode(exitGeneric, err)
		}
	}
	return fio, ch, extract, nil
}

// childResult is the child's status as hull's: nil for 0, else a
// childExit; a failure to start it is 127 (not found) or 126.
func childResult(code int, err error) error {
	switch {
	case errors.Is(err, execx.ErrNotFound):
		return withCode(exitCommandNotFound, err)
	case errors.Is(err, execx.ErrServe):
		return withCode(exitCouldNotWrite, err)
	case err != nil:
		return withCode(exitCommandNotExecutable, err)
	case code != 0:
		return &childExit{code: code}
	}
	return nil
}

func (r *runner) cmdExecEnv(cl *cmdLine) (err error) {
	defer r.audit(cl, "exec-env", "")(&err) // audit.go: the result record
	fio, ch, extract, err := r.execSetup(cl)
	if err != nil {
		return err
	}
	mode, err := execx.ModeOf(cl.on("background"), cl.on("same-process"))
	if err != nil {
		return withCode(exitConflictingParams, err)
	}
	unquote := cl.on("dotenv-unquote")
	if unquote && fio.in.Name() != "dotenv" {
		return withCode(exitConflictingParams, fmt.Errorf("--dotenv-unquote applies to dotenv files only; %s is read as %s", fio.display(), fio.in.Name()))
	}
	f, _, err := r.openFile(cl, fio)
	if err != nil {
		return err
	}
	vars, err := execx.VarsAt(f, extract, unquote, cl.list("allow-env"))
	if errors.Is(err, hull.ErrPolicy) {
		return withCode(exitPolicyViolation, fmt.Errorf("%s: %w", fio.display(), err))
	} else if err != nil {
		return fmt.Errorf("%s: %w", fio.display(), err)
	}
	if cl.on("pristine") {
		ch.Env = nil
	}
	return childResult(ch.RunEnv(vars, mode))
}

func (r *runner) cmdExecFile(cl *cmdLine) (err error) {
	defer r.audit(cl, "exec-file", "")(&err) // audit.go: the result record
	if cl.on("background") {
		return withCode(exitGeneric, errors.New("--background is deprecated (as in sops) and not supported by exec-file: the file would be removed before the command reads it; run hull itself in the background instead"))
	}
	fio, ch, extract, err := r.execSetup(cl)
	if err != nil {
		return err
	}
	name, err := execx.FileName(cl.str("filename"), fio.out.Extensions())
	if err != nil {
		return withCode(exitGeneric, fmt.Errorf("--filename %q: %v", name, err))
	}
	f, _, err := r.openFile(cl, fio)
	if err != nil {
		return err
	}
	content, err := extractValue(f, extract, fio)
	if err != nil {
		return fmt.Errorf("%s: %w", fio.display(), err)
	}
	code, closeErr, err := ch.RunFile(execx.TempBase(r.env.get("TMPDIR")), name, content, !cl.on("no-fifo"))
	if closeErr != nil {
		r.warnf("%v", closeErr)
	}
	return childResult(code, err)
}
