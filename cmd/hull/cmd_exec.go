package main

import (
	"errors"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/cliflag"
	"github.com/hullsecrets/hull/internal/execx"
	"github.com/hullsecrets/hull/sopsenv"
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
	cliflag.Sort(fl)
	return fl
}

// pickFlag is the flag of fl named name, as a list of one.
var pickFlag = cliflag.Pick

// scrubbedEnv are hull's identity variables, kept from children.
var scrubbedEnv = execx.IdentityVars

// execSetup reads what both commands need before decrypting: the file,
// the child to run, --extract (execx.Prepare).
func (r *runner) execSetup(cl *cmdLine) (fio *fileIO, run *execx.Prepared, err error) {
	run, err = execx.Prepare(execx.Request{Command: cl.command(), Args: cl.args, Env: execx.Environ(os.Environ(), r.env.lookup), PathEnv: r.env.get("PATH"),
		Stdin: r.stdin, Stdout: r.stdout, Stderr: r.stderr, Scrub: cl.list("scrub-env"), Extract: cl.str("extract"), User: cl.str("user"),
		Resolve: func(file string) (err error) { fio, err = r.resolveIO(cl, file, false); return err }})
	return fio, run, err
}

// childResult is the child's status as hull's: nil for 0, else a
// childExit; a failure to start it is 127 (not found) or 126. The errors
// of the run before the child starts get their codes.
func childResult(code int, err error) error {
	switch {
	case errors.Is(err, execx.ErrModes), errors.Is(err, execx.ErrDotenvOnly):
		return withCode(exitConflictingParams, err)
	case errors.As(err, new(*execx.VarsError)) && errors.Is(err, hull.ErrPolicy):
		return withCode(exitPolicyViolation, err)
	case err != nil && !errors.As(err, new(*execx.ChildError)):
		return err
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
	fio, run, err := r.execSetup(cl)
	if err != nil {
		return err
	}
	return childResult(run.RunEnv(execx.EnvRun{Background: cl.on("background"), SameProcess: cl.on("same-process"), Unquote: cl.on("dotenv-unquote"),
		Format: fio.in.Name(), Display: fio.display(), Allow: cl.list("allow-env"), Pristine: cl.on("pristine"),
		Open: func() (*formats.File, error) { f, _, err := r.openFile(cl, fio); return f, err }}))
}

func (r *runner) cmdExecFile(cl *cmdLine) (err error) {
	defer r.audit(cl, "exec-file", "")(&err) // audit.go: the result record
	if cl.on("background") {
		return withCode(exitGeneric, errors.New("--background is deprecated (as in sops) and not supported by exec-file: the file would be removed before the command reads it; run hull itself in the background instead"))
	}
	fio, run, err := r.execSetup(cl)
	if err != nil {
		return err
	}
	return childResult(run.RunFile(execx.FileRun{Name: cl.str("filename"), Extensions: fio.out.Extensions(), Display: fio.display(),
		Base: execx.TempBase(r.env.get("TMPDIR")), FIFO: !cl.on("no-fifo"), Warn: func(err error) { r.warnf("%v", err) },
		Open: func() (*formats.File, error) { f, _, err := r.openFile(cl, fio); return f, err },
		Emit: func(f *formats.File, ex []hull.PathStep) ([]byte, error) {
			return sopsenv.Extract(f, ex, fio.out, fio.emitOpts)
		}}))
}
