//go:build unix

package execx

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// TestBecome runs this test binary again, which becomes sh: the status is
// sh's, and nothing after Become runs.
func TestBecome(t *testing.T) {
	if os.Getenv("EXECX_TEST_BECOME") == "1" {
		_, err := Become(Process{Path: Shell, Args: []string{"sh", "-c", "echo became; exit 7"}, Env: []string{}})
		t.Fatalf("Become returned: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBecome$")
	cmd.Env = append(os.Environ(), "EXECX_TEST_BECOME=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 || string(out) != "became\n" {
		t.Fatalf("the child: %v, output %q", err, out)
	}
	if _, err := Become(Process{Path: "/nonexistent/hull-kms", Args: []string{"hull-kms"}}); err == nil {
		t.Error("Become of a missing program returned no error")
	}
}
