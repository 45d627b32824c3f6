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
		Action:       r.cmdExecEnv,
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
		Action:       r.cmdExecFile,
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

// execArgs splits the arguments: FILE 'COMMAND' (shell form) or
// FILE -- PROGRAM [ARG...] (argv form).
func execArgs(c *cli.Context) (file string, argv []string, command string, err error) {
	args := c.Args().Slice()
	usage := fmt.Sprintf("usage: %s FILE 'COMMAND' or %s FILE -- PROGRAM [ARG...]", c.Command.Name, c.Command.Name)
	if len(args) == 0 {
		return "", nil, "", withCode(exitGeneric, errors.New(usage))
	}
	file, rest := args[0], args[1:]
	if len(rest) > 0 && rest[0] == "--" {
		if len(rest) == 1 {
			return "", nil, "", withCode(exitGeneric, fmt.Errorf("no program after --; %s", usage))
		}
		return file, rest[1:], "", nil
	}
	if len(rest) != 1 {
		return "", nil, "", withCode(exitGeneric, fmt.Errorf("%s (COMMAND is one string, run by /bin/sh -c; got %d arguments after FILE)", usage, len(rest)))
	}
	return file, nil, rest[0], nil
}

// scrubbedEnv are hull's identity variables, kept from children.
var scrubbedEnv = execx.IdentityVars

// execSetup is what both commands resolve before decrypting.
type execSetup struct {
	argv     []string // argv form
	command  string   // shell form
	fio      *fileIO
	extract  []hull.PathStep
	cred     *execx.Credential
	userVars []execx.Var
	scrub    []string
}

func (r *runner) execSetup(c *cli.Context) (*execSetup, error) {
	s := &execSetup{}
	file, argv, command, err := execArgs(c)
	if err != nil {
		return nil, err
	}
	s.argv, s.command = argv, command
	if s.fio, err = r.resolveIO(c, file, false); err != nil {
		return nil, err
	}
	if p := c.String("extract"); p != "" {
		if s.extract, err = hull.ParseTreePath(p); err != nil {
			return nil, err
		}
	}
	if name := c.String("user"); name != "" {
		if s.cred, s.userVars, err = execx.LookupUser(name); err != nil {
			return nil, withCode(exitGeneric, err)
		}
	}
	s.scrub = append(append([]string{}, execx.IdentityVars...), c.StringSlice("scrub-env")...)
	return s, nil
}

// parentEnv is hull's environment as the runner sees it.
func (r *runner) parentEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if v, ok := r.env.lookup(name); ok {
			out = append(out, name+"="+v)
		}
	}
	return out
}

// process is the child: the shell form runs /bin/sh -c COMMAND, the argv
// form runs PROGRAM, found in hull's PATH.
func (r *runner) process(argv []string, command string, env []string, cred *execx.Credential) (execx.Process, error) {
	p := execx.Process{Env: env, Stdin: r.stdin, Stdout: r.stdout, Stderr: r.stderr, Credential: cred}
	return p, startError(p.Command(argv, command, r.env.get("PATH")))
}

// startError gives a failure to start the child the shell's exit code:
// 127 not found, 126 not runnable.
func startError(err error) error {
	switch {
	case errors.Is(err, execx.ErrNotFound):
		return withCode(exitCommandNotFound, err)
	case err != nil:
		return withCode(exitCommandNotExecutable, err)
	}
	return nil
}

// runChild runs the child in the foreground and returns its status as
// hull's: nil for 0, else a childExit.
func runChild(p execx.Process, sigs *execx.Signals) error {
	code, err := execx.RunForeground(p, sigs)
	if err != nil {
		return startError(err)
	}
	if code != 0 {
		return &childExit{code: code}
	}
	return nil
}

func (r *runner) cmdExecEnv(c *cli.Context) (err error) {
	defer r.audit(c, "exec-env", "")(&err) // audit.go: the result record
	s, err := r.execSetup(c)
	if err != nil {
		return err
	}
	if c.Bool("background") && c.Bool("same-process") {
		return withCode(exitConflictingParams, errors.New("--background and --same-process cannot be used together"))
	}
	unquote := c.Bool("dotenv-unquote")
	if unquote && s.fio.in.Name() != "dotenv" {
		return withCode(exitConflictingParams, fmt.Errorf("--dotenv-unquote applies to dotenv files only; %s is read as %s", s.fio.display(), s.fio.in.Name()))
	}
	f, _, err := r.openFile(c, s.fio)
	if err != nil {
		return err
	}
	vars, err := execx.VarsAt(f, s.extract, unquote, c.StringSlice("allow-env"))
	if errors.Is(err, hull.ErrPolicy) {
		return withCode(exitPolicyViolation, fmt.Errorf("%s: %w", s.fio.display(), err))
	} else if err != nil {
		return fmt.Errorf("%s: %w", s.fio.display(), err)
	}
	var base []string
	if !c.Bool("pristine") {
		base = r.parentEnv()
	}
	p, err := r.process(s.argv, s.command, execx.MergeEnv(base, s.scrub, append(s.userVars, vars...)), s.cred)
	if err != nil {
		return err
	}
	switch {
	case c.Bool("same-process"):
		// Exec returns only on failure (hull may then run as --user: it
		// just reports the error and exits).
		return startError(execx.StartError(p.Path, execx.Exec(p)))
	case c.Bool("background"):
		if err := execx.Start(p); err != nil {
			return startError(execx.StartError(p.Path, err))
		}
		return nil
	}
	sigs := execx.Catch()
	defer sigs.Stop()
	return runChild(p, sigs)
}

func (r *runner) cmdExecFile(c *cli.Context) (err error) {
	defer r.audit(c, "exec-file", "")(&err) // audit.go: the result record
	if c.Bool("background") {
		return withCode(exitGeneric, errors.New("--background is deprecated (as in sops) and not supported by exec-file: the file would be removed before the command reads it; run hull itself in the background instead"))
	}
	s, err := r.execSetup(c)
	if err != nil {
		return err
	}
	name := c.String("filename")
	if name == "" {
		name = "tmp-file"
		if ext := s.fio.out.Extensions(); len(ext) > 0 {
			name += ext[0]
		}
	}
	if err := execx.CheckFileName(name); err != nil {
		return withCode(exitGeneric, fmt.Errorf("--filename %q: %v", name, err))
	}
	f, _, err := r.openFile(c, s.fio)
	if err != nil {
		return err
	}
	var content []byte
	if s.extract != nil {
		content, err = extractValue(f, s.extract, s.fio)
	} else {
		content, err = s.fio.out.Emit(f, s.fio.emitOpts)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.fio.display(), err)
	}
	// Catch signals before the directory exists, so that it is always
	// removed.
	sigs := execx.Catch()
	defer sigs.Stop()
	served, err := execx.Serve(execx.TempBase(r.env.get("TMPDIR")), name, content, execx.ServeOptions{FIFO: !c.Bool("no-fifo"), Owner: s.cred})
	if err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot make the private file: %w", unwrapPathErr(err)))
	}
	env := execx.MergeEnv(r.parentEnv(), s.scrub, append(s.userVars, execx.Var{Name: execx.FileVar, Value: served.Path}))
	argv, command := s.argv, s.command
	if argv != nil {
		argv = append([]string{argv[0]}, execx.SubstituteArgs(argv[1:], served.Path)...)
	} else {
		command = execx.SubstituteShell(command, execx.FileVar)
	}
	p, runErr := r.process(argv, command, env, s.cred)
	if runErr == nil {
		runErr = runChild(p, sigs)
	}
	if err := served.Close(); err != nil {
		r.warnf("%v", err)
	}
	return runErr
}
