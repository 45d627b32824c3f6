package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSetExitCodes checks the exit codes of set, unset and --set, which the
// testscripts cannot see, and that a failure leaves the file as it was.
func TestSetExitCodes(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key.txt")
	keyData, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "keys", "age1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SOPS_AGE_KEY_FILE":   key,
		"SOPS_AGE_RECIPIENTS": "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m",
		"HOME":                dir,
		"XDG_CONFIG_HOME":     filepath.Join(dir, ".config"),
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	run := func(stdin string, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"hull"}, args...), strings.NewReader(stdin), &stdout, &stderr, lookup)
		return code, stderr.String()
	}
	file := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte("a: 1\nlist:\n    - x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stderr := run("", "encrypt", "-i", file); code != 0 {
		t.Fatalf("encrypt: %d %s", code, stderr)
	}
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"no path", "", []string{"set", file}, exitNoFileSpecified},
		{"no value", "", []string{"set", file, `["a"]`}, exitNoFileSpecified},
		{"extra argument", "", []string{"set", file, `["a"]`, "1", "2"}, exitNoFileSpecified},
		{"stdin plus value", `"v"`, []string{"set", "--value-stdin", file, `["a"]`, `"v"`}, exitNoFileSpecified},
		{"both value flags", "", []string{"set", "--value-stdin", "--value-file", file, `["a"]`, "v.json"}, exitGeneric},
		{"bad path", "", []string{"set", file, "a.b", "1"}, exitInvalidSetFormat},
		{"bad JSON", "", []string{"set", file, `["a"]`, "hunter2"}, exitInvalidSetFormat},
		{"bad JSON on stdin", "hunter2", []string{"set", "--value-stdin", file, `["a"]`}, exitInvalidSetFormat},
		{"missing value file", "", []string{"set", "--value-file", file, `["a"]`, filepath.Join(dir, "nope")}, exitCouldNotRead},
		{"path conflict", "", []string{"set", file, `["list"]["k"]`, "1"}, exitGeneric},
		{"missing file", "", []string{"set", filepath.Join(dir, "missing.yaml"), `["a"]`, "1"}, exitNoFileSpecified},
		{"unset no path", "", []string{"unset", file}, exitNoFileSpecified},
		{"unset bad path", "", []string{"unset", file, "a"}, exitInvalidSetFormat},
		{"unset missing key", "", []string{"unset", file, `["nope"]`}, exitGeneric},
		{"unset out of bounds", "", []string{"unset", file, `["list"][3]`}, exitGeneric},
		{"legacy no separator", "", []string{"--set", `["a"]1`, file}, exitInvalidSetFormat},
		{"legacy bad path", "", []string{"--set", `a] 1`, file}, exitInvalidSetFormat},
		{"legacy bad JSON", "", []string{"--set", `["a"] x`, file}, exitInvalidSetFormat},
		{"legacy with -d", "", []string{"-d", "--set", `["a"] 1`, file}, exitConflictingParams},
		{"unset idempotent missing", "", []string{"unset", "--idempotent", file, `["nope"]`}, exitOK},
		{"set idempotent unchanged", "", []string{"set", "--idempotent", file, `["a"]`, "1"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := run(tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Errorf("stderr echoes the value: %s", stderr)
			}
			after, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("the file was changed")
			}
		})
	}
}
