//go:build unix

package execx

// Become runs p in this process's place: here it replaces this process
// (Exec), so that signals (Ctrl-C, SIGTERM) reach p, and returns only on
// failure. Where there is no exec it runs p as a child and returns its
// exit status.
func Become(p Process) (int, error) {
	return 0, Exec(p)
}
