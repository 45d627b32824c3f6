package execx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/fserr"
)

// IdentityVars are hull's own identity variables. They are removed from a
// child's environment (SECURITY.md) unless the decrypted file itself
// defines them.
var IdentityVars = []string{
	"SOPS_AGE_KEY",
	"SOPS_AGE_KEY_FILE",
	"SOPS_AGE_KEY_CMD",
	"SOPS_AGE_SSH_PRIVATE_KEY_FILE",
	"SOPS_AGE_SSH_PRIVATE_KEY_CMD",
	"HULL_PGP_KEY_FILE",
}

// FileVar holds the path of the file exec-file serves.
const FileVar = "HULL_FILE"

// Shell runs a COMMAND string (sh -c), as sops does.
const Shell = "/bin/sh"

// Errors of starting a child, as a shell reports them: 127 and 126.
var (
	ErrNotFound      = errors.New("command not found")
	ErrNotExecutable = errors.New("command cannot be run")
)

// startErr is a failure to start path, wrapping ErrNotFound or
// ErrNotExecutable; its message is the shell's.
type startErr struct {
	kind error
	msg  string
}

func (e *startErr) Error() string { return e.msg }
func (e *startErr) Unwrap() error { return e.kind }

// StartError classifies a failure to start the program at path: not found
// (ErrNotFound) or not runnable (ErrNotExecutable).
func StartError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &startErr{ErrNotFound, path + ": command not found"}
	case errors.Is(err, fs.ErrPermission):
		return &startErr{ErrNotExecutable, path + ": permission denied"}
	}
	return &startErr{ErrNotExecutable, fmt.Sprintf("cannot run %s: %v", path, fserr.Bare(err))}
}

// LookPath finds a program as a shell does: a name with a '/' is used as
// it is, any other is searched in pathEnv (the child's PATH). A program
// that is not found is ErrNotFound.
func LookPath(name, pathEnv string) (string, error) {
	if name == "" {
		return "", &startErr{ErrNotFound, "empty program name"}
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
	return "", &startErr{ErrNotFound, name + ": command not found"}
}

// Command sets p's program: the shell form (argv nil) runs Shell -c
// command, the argv form runs argv[0], found in pathEnv.
func (p *Process) Command(argv []string, command, pathEnv string) error {
	if argv == nil {
		p.Path, p.Args = Shell, []string{Shell, "-c", command}
		return nil
	}
	path, err := LookPath(argv[0], pathEnv)
	if err != nil {
		return err
	}
	p.Path, p.Args = path, argv
	return nil
}

// RunForeground runs p in the foreground (Run) and returns the child's
// exit code; a failure to start is a StartError.
func RunForeground(p Process, sigs *Signals) (int, error) {
	code, err := Run(p, sigs)
	if err != nil && code == 0 {
		return 0, StartError(p.Path, err)
	}
	return code, nil
}

// LookupUser resolves a user to run a child as (which needs root): its
// credentials and the HOME, USER and LOGNAME it gets, as sops 3.13.2 sets
// them. Its errors say what failed and wrap nothing (a missing user
// database is not a missing input file).
func LookupUser(name string) (*Credential, []Var, error) {
	if os.Geteuid() != 0 {
		return nil, nil, fmt.Errorf("--user %s: running a command as another user needs root", name)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, nil, fmt.Errorf("--user: %v", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("--user %s: unusable uid %q or gid %q", name, u.Uid, u.Gid)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, nil, fmt.Errorf("--user %s: cannot list its groups: %v", name, err)
	}
	cred := &Credential{UID: uint32(uid), GID: uint32(gid), Groups: []uint32{}}
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("--user %s: unusable group id %q", name, g)
		}
		cred.Groups = append(cred.Groups, uint32(n))
	}
	return cred, []Var{{Name: "HOME", Value: u.HomeDir}, {Name: "USER", Value: u.Username}, {Name: "LOGNAME", Value: u.Username}}, nil
}

// ErrNotMapping is returned by VarsAt when the value at the path is not a
// mapping.
var ErrNotMapping = errors.New("exec-env needs a mapping")

// VarsAt turns the top-level values of the first document of f (or of the
// mapping at extract) into variables, and refuses those whose names change
// how the child or hull runs unless allow names each (docs/TRUST.md rule
// 18; the error wraps hull.ErrPolicy).
func VarsAt(f *formats.File, extract []hull.PathStep, unquote bool, allow []string) ([]Var, error) {
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
			return nil, fmt.Errorf("--extract: the value there is a %s; %w", n.Kind, ErrNotMapping)
		}
		m = n
	}
	vars, err := VarsFromMapping(m, unquote)
	if err != nil {
		return nil, err
	}
	if name, why := Disallowed(vars, allow); name != "" {
		return nil, fmt.Errorf("%w: the file defines %q, and %s; the file's plain keys may not be authenticated. Remove the key, or pass --allow-env %s if you trust it", hull.ErrPolicy, name, why, name)
	}
	return vars, nil
}

// TempBase is where exec-file makes its private directory: tmpdir (the
// caller's $TMPDIR) if set, else /dev/shm (memory) when it exists, else the
// system default.
func TempBase(tmpdir string) string {
	if tmpdir != "" {
		return tmpdir
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}
