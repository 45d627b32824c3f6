package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
)

// TestSetConcurrent runs several hull set processes on one file at once,
// each setting its own key (SECURITY.md row 51: sops loses
// updates in 10 of 10 trials). Every process must succeed, or fail with
// exit 32 (concurrent modification, nothing written) and then succeed when
// run again; at the end every key must be in the file. A process that
// reports success for an update that was lost fails the test.
func TestSetConcurrent(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs many processes")
	}
	// The test binary answers as hull (testscript.Main installs it on PATH):
	// no separate build of hull.
	bin, err := exec.LookPath("hull")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyData, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "keys", "age1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(key, keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"SOPS_AGE_KEY_FILE=" + key,
		"SOPS_AGE_RECIPIENTS=age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m",
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"),
		"PATH=" + os.Getenv("PATH"), goraceEnv(),
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, stderr.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), stderr.String()
		}
		t.Errorf("running hull: %v", err)
		return -1, stderr.String()
	}

	const rounds, writers = 4, 6
	file := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte("base: value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stderr := run("encrypt", "-i", file); code != 0 {
		t.Fatalf("encrypt: exit %d: %s", code, stderr)
	}
	var want []string
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		conflicts := 0
		for w := 0; w < writers; w++ {
			k := fmt.Sprintf("k_%d_%d", r, w)
			want = append(want, k)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for attempt := 0; ; attempt++ {
					code, stderr := run("set", file, `["`+k+`"]`, `"`+k+`-value"`)
					if code == exitOK {
						return
					}
					if code != exitConcurrentModification || attempt == 5 {
						t.Errorf("set %s: exit %d: %s", k, code, stderr)
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if conflicts > 0 {
			t.Logf("round %d: %d conflicts, retried", r, conflicts)
		}
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "decrypt", file)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("decrypt: %v: %s", err, stderr.String())
	}
	f, err := yaml.New().Parse(stdout.Bytes(), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Docs[0]
	if n := doc.Get("base"); n == nil || n.Value != "value" {
		t.Errorf("the original key was lost")
	}
	var lost []string
	for _, k := range want {
		n, err := hull.Lookup(doc, []hull.PathStep{{Key: k, IsKey: true}})
		if err != nil || n.Value != k+"-value" {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		t.Errorf("lost updates (each reported success): %s", strings.Join(lost, ", "))
	}
}
