//go:build !unix

package execx

import (
	"errors"
	"os/exec"
)

// Become runs p in this process's place: on unix it replaces this process
// (Exec) and returns only on failure; here, with no exec, it runs p as a
// child with p's Stdin, Stdout and Stderr and returns its exit status.
func Become(p Process) (int, error) {
	cmd := exec.Command(p.Path, p.Args[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = p.Env, p.Stdin, p.Stdout, p.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}
