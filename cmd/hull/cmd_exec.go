package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/execx"
)

// Flag groups of exec-env and exec-file.
const (
	gExec     = "exec"      // both
	gExecEnv  = "exec-env"  // exec-env only
	gExecFile = "exec-file" // exec-file only
)

// scrubbedEnv are hull's own identity variables. They are removed from a
// child's environment (SECURITY.md), unless the decrypted file
// itself defines them; --scrub-env adds names to this list.
var scrubbedEnv = []string{
	"SOPS_AGE_KEY",
	"SOPS_AGE_KEY_FILE",
	"SOPS_AGE_KEY_CMD",
	"SOPS_AGE_SSH_PRIVATE_KEY_FILE",
	"SOPS_AGE_SSH_PRIVATE_KEY_CMD",
	"HULL_PGP_KEY_FILE",
}

// fileEnvVar holds the path of the file exec-file serves.
const fileEnvVar = "HULL_FILE"

// shellPath runs a COMMAND string, as sops does.
const shellPath = "/bin/sh"

func (r *runner) execEnvCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec-env",
		Usage:     "run a command with the decrypted values in its environment",
		ArgsUsage: "FILE 'COMMAND'  |  FILE -- PROGRAM [ARG...]",
		Description: "Each top-level value of FILE becomes an environment variable of the command, exactly\n" +
			"as stored (no shell evaluation). 'COMMAND' is one string run by /bin/sh -c, as sops does;\n" +
			"after --, PROGRAM runs with its arguments and no shell. Numbers are passed as written,\n" +
			"booleans as true/false, null as an empty value. hull's identity variables\n" +
			"(" + strings.Join(scrubbedEnv, ", ") + ")\n" +
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
			"fresh private directory that is removed afterwards. Its path is in $" + fileEnvVar + ". In 'COMMAND'\n" +
			"(run by /bin/sh -c) every {} is replaced by a quoted reference to $" + fileEnvVar + "; after --,\n" +
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

// execSetup is what both commands resolve before decrypting.
type execSetup struct {
	file     string
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
	var err error
	if s.file, s.argv, s.command, err = execArgs(c); err != nil {
		return nil, err
	}
	if s.fio, err = r.resolveIO(c, s.file, false); err != nil {
		return nil, err
	}
	if p := c.String("extract"); p != "" {
		if s.extract, err = hull.ParseTreePath(p); err != nil {
			return nil, err
		}
	}
	if name := c.String("user"); name != "" {
		if s.cred, s.userVars, err = lookupUser(name); err != nil {
			return nil, err
		}
	}
	s.scrub = append(append([]string{}, scrubbedEnv...), c.StringSlice("scrub-env")...)
	return s, nil
}

// lookupUser resolves --user: the credentials and the HOME, USER and
// LOGNAME of the user, as sops 3.13.2 sets them.
func lookupUser(name string) (*execx.Credential, []execx.Var, error) {
	if os.Geteuid() != 0 {
		return nil, nil, withCode(exitGeneric, fmt.Errorf("--user %s: running a command as another user needs root", name))
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, nil, withCode(exitGeneric, fmt.Errorf("--user: %w", err))
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, nil, withCode(exitGeneric, fmt.Errorf("--user %s: unusable uid %q or gid %q", name, u.Uid, u.Gid))
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, nil, withCode(exitGeneric, fmt.Errorf("--user %s: cannot list its groups: %w", name, err))
	}
	cred := &execx.Credential{UID: uint32(uid), GID: uint32(gid), Groups: []uint32{}}
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, nil, withCode(exitGeneric, fmt.Errorf("--user %s: unusable group id %q", name, g))
		}
		cred.Groups = append(cred.Groups, uint32(n))
	}
	vars := []execx.Var{{Name: "HOME", Value: u.HomeDir}, {Name: "USER", Value: u.Username}, {Name: "LOGNAME", Value: u.Username}}
	return cred, vars, nil
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

// process builds the child: the shell form runs /bin/sh -c COMMAND, the
// argv form runs PROGRAM, found in hull's PATH.
func (r *runner) process(argv []string, command string, env []string, cred *execx.Credential) (execx.Process, error) {
	p := execx.Process{Env: env, Stdin: r.stdin, Stdout: r.stdout, Stderr: r.stderr, Credential: cred}
	if argv == nil {
		p.Path, p.Args = shellPath, []string{shellPath, "-c", command}
		return p, nil
	}
	path, err := lookPath(argv[0], r.env.get("PATH"))
	if err != nil {
		return p, err
	}
	p.Path, p.Args = path, argv
	return p, nil
}

// lookPath finds a program as a shell does: a name with a '/' is used as
// it is, any other is searched in PATH. Like a shell, a program that is
// not found gives 127 and one that cannot be run 126.
func lookPath(name, pathEnv string) (string, error) {
	if name == "" {
		return "", withCode(exitCommandNotFound, errors.New("empty program name"))
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", withCode(exitCommandNotFound, fmt.Errorf("%s: command not found", name))
}

// startError maps a failure to start the child to 126 or 127.
func startError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return withCode(exitCommandNotFound, fmt.Errorf("%s: command not found", path))
	case errors.Is(err, fs.ErrPermission):
		return withCode(exitCommandNotExecutable, fmt.Errorf("%s: permission denied", path))
	}
	return withCode(exitCommandNotExecutable, fmt.Errorf("cannot run %s: %w", path, unwrapPathErr(err)))
}

// runChild runs the child in the foreground and returns its status as
// hull's: nil for 0, else a childExit.
func runChild(p execx.Process, sigs *execx.Signals) error {
	code, err := execx.Run(p, sigs)
	if err != nil && code == 0 {
		return startError(p.Path, err)
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
	vars, err := envVars(f, s.extract, unquote)
	if err != nil {
		return fmt.Errorf("%s: %w", s.fio.display(), err)
	}
	if err := allowedVars(vars, c.StringSlice("allow-env")); err != nil {
		return withCode(exitPolicyViolation, fmt.Errorf("%s: %w", s.fio.display(), err))
	}
	var base []string
	if !c.Bool("pristine") {
		base = r.parentEnv()
	}
	env := execx.MergeEnv(base, s.scrub, append(s.userVars, vars...))
	p, err := r.process(s.argv, s.command, env, s.cred)
	if err != nil {
		return err
	}
	switch {
	case c.Bool("same-process"):
		// Exec returns only on failure (hull may then run as --user: it
		// just reports the error and exits).
		return startError(p.Path, execx.Exec(p))
	case c.Bool("background"):
		if err := execx.Start(p); err != nil {
			return startError(p.Path, err)
		}
		return nil
	}
	sigs := execx.Catch()
	defer sigs.Stop()
	return runChild(p, sigs)
}

// allowedVars refuses the variables whose names change how the child or
// hull runs, unless the user allowed each by name (docs/TRUST.md rule 18).
func allowedVars(vars []execx.Var, allow []string) error {
	if name, why := execx.Disallowed(vars, allow); name != "" {
		return fmt.Errorf("%w: the file defines %q, and %s; the file's plain keys may not be authenticated. Remove the key, or pass --allow-env %s if you trust it", hull.ErrPolicy, name, why, name)
	}
	return nil
}

// envVars turns the top-level values of the first document (or of the
// mapping at extract) into variables.
func envVars(f *formats.File, extract []hull.PathStep, unquote bool) ([]execx.Var, error) {
	if len(f.Docs) == 0 {
		return nil, hull.ErrEmpty
	}
	m := f.Docs[0]
	if extract != nil {
		n, err := hull.Lookup(m, extract)
		if err != nil {
			return nil, err
		}
		if n.Kind != formats.Mapping {
			return nil, withCode(exitGeneric, fmt.Errorf("--extract: the value there is a %s; exec-env needs a mapping", n.Kind))
		}
		m = n
	}
	return execx.VarsFromMapping(m, unquote)
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
	served, err := execx.Serve(r.execTempBase(), name, content, execx.ServeOptions{FIFO: !c.Bool("no-fifo"), Owner: s.cred})
	if err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot make the private file: %w", unwrapPathErr(err)))
	}
	runErr := func() error {
		env := execx.MergeEnv(r.parentEnv(), s.scrub, append(s.userVars, execx.Var{Name: fileEnvVar, Value: served.Path}))
		argv, command := s.argv, s.command
		if argv != nil {
			argv = append([]string{argv[0]}, execx.SubstituteArgs(argv[1:], served.Path)...)
		} else {
			command = execx.SubstituteShell(command, fileEnvVar)
		}
		p, err := r.process(argv, command, env, s.cred)
		if err != nil {
			return err
		}
		return runChild(p, sigs)
	}()
	if err := served.Close(); err != nil {
		r.warnf("%v", err)
	}
	return runErr
}

// execTempBase is where exec-file makes its private directory: $TMPDIR if
// set, else /dev/shm (memory) when it exists, else the system default.
func (r *runner) execTempBase() string {
	if t := r.env.get("TMPDIR"); t != "" {
		return t
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}
