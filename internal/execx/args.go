package execx

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUsage marks arguments of exec-env or exec-file that have no meaning.
var ErrUsage = errors.New("usage")

// ParseArgs splits the arguments of the command cmd (exec-env,
// exec-file): FILE 'COMMAND', one string for the shell, or
// FILE -- PROGRAM [ARG...], run without one. Errors wrap ErrUsage and say
// both forms.
func ParseArgs(cmd string, args []string) (file string, argv []string, command string, err error) {
	usage := fmt.Sprintf("usage: %s FILE 'COMMAND' or %s FILE -- PROGRAM [ARG...]", cmd, cmd)
	if len(args) == 0 {
		return "", nil, "", usageError(usage)
	}
	file, rest := args[0], args[1:]
	if len(rest) > 0 && rest[0] == "--" {
		if len(rest) == 1 {
			return "", nil, "", usageError("no program after --; " + usage)
		}
		return file, rest[1:], "", nil
	}
	if len(rest) != 1 {
		return "", nil, "", usageError(fmt.Sprintf("%s (COMMAND is one string, run by /bin/sh -c; got %d arguments after FILE)", usage, len(rest)))
	}
	return file, nil, rest[0], nil
}

type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }
func (e *usageErr) Unwrap() error { return ErrUsage }

func usageError(msg string) error { return &usageErr{msg} }

// ErrModes is returned by ModeOf for both --background and
// --same-process.
var ErrModes = errors.New("--background and --same-process cannot be used together")

// ModeOf is the Mode of exec-env's flags --background and --same-process.
func ModeOf(background, sameProcess bool) (Mode, error) {
	switch {
	case background && sameProcess:
		return Foreground, ErrModes
	case background:
		return Background, nil
	case sameProcess:
		return SameProcess, nil
	}
	return Foreground, nil
}

// FileName is the name of the file exec-file serves: name (--filename),
// else "tmp-file" with the first of exts, the output format's extensions.
// The error is CheckFileName's.
func FileName(name string, exts []string) (string, error) {
	switch {
	case name != "":
	case len(exts) > 0:
		name = "tmp-file" + exts[0]
	default:
		name = "tmp-file"
	}
	return name, CheckFileName(name)
}

// Environ is the environment of the children as the caller sees it: the
// variables of environ (os.Environ's NAME=VALUE) that lookup finds, with
// lookup's values (a caller that runs with an environment of its own
// passes its lookup).
func Environ(environ []string, lookup func(string) (string, bool)) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if v, ok := lookup(name); ok {
			out = append(out, name+"="+v)
		}
	}
	return out
}
