//go:build !unix

package execx

import "os"

// Signals are the signals caught for a child.
type Signals struct{}

// Catch is not supported on this system.
func Catch() *Signals { return &Signals{} }

// Stop does nothing on this system.
func (s *Signals) Stop() {}

// Status returns the exit code of a finished process.
func Status(ps *os.ProcessState) int { return ps.ExitCode() }

// Run is not supported on this system.
func Run(p Process, sigs *Signals) (int, error) { return 0, ErrUnsupported }

// Start is not supported on this system.
func Start(p Process) error { return ErrUnsupported }

// Exec is not supported on this system.
func Exec(p Process) error { return ErrUnsupported }

// Served is a plaintext offered to a child.
type Served struct{ Dir, Path string }

// Serve is not supported on this system.
func Serve(base, name string, content []byte, opts ServeOptions) (*Served, error) {
	return nil, ErrUnsupported
}

// Close does nothing on this system.
func (s *Served) Close() error { return nil }
