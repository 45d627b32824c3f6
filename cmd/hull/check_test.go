package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testRecipient1 and testRecipient2 (keys_test.go) are the recipients of
// testdata/interop/keys/age1.txt and age2.txt.

// bulkEnv is the environment of the in-process bulk and check tests.
func bulkEnv(t testing.TB, dir string) func(string) (string, bool) {
	key, err := filepath.Abs("../../testdata/interop/keys/age1.txt")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SOPS_AGE_KEY_FILE": key,
		"HOME":              "/no-home",
		"XDG_CONFIG_HOME":   filepath.Join(dir, ".config"),
	}
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func runHull(t testing.TB, lookup func(string) (string, bool), args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(append([]string{"hull"}, args...), strings.NewReader(""), &out, &errb, lookup)
	return code, out.String(), errb.String()
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sopsYAML(recipients ...string) string {
	return "creation_rules:\n  - path_regex: ^s/\n    age: " + strings.Join(recipients, ",") + "\n"
}

// TestCheckExitCodes checks the exit code of each failure class and their
// precedence: tampered (41) over plaintext (40) over drift (42).
func TestCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	env := bulkEnv(t, dir)
	writeFile(t, filepath.Join(dir, ".sops.yaml"), sopsYAML(testRecipient1))
	writeFile(t, filepath.Join(dir, "s/a.yaml"), "user: admin\npassword: hunter2\n")
	writeFile(t, filepath.Join(dir, "s/b.yaml"), "token: t0k3n\n")
	if code, _, stderr := runHull(t, env, "encrypt", "-r", dir); code != 0 {
		t.Fatalf("encrypt -r: exit %d: %s", code, stderr)
	}
	check := func(want int) string {
		t.Helper()
		code, stdout, stderr := runHull(t, env, "check", dir)
		if code != want {
			t.Fatalf("check: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
		}
		for _, secret := range []string{"hunter2", "t0k3n", "admin"} {
			if strings.Contains(stdout+stderr, secret) {
				t.Fatalf("check printed a value: %s", stdout)
			}
		}
		return stdout
	}
	check(exitOK)

	// drift only: 42
	writeFile(t, filepath.Join(dir, ".sops.yaml"), sopsYAML(testRecipient1, testRecipient2))
	if out := check(exitCheckDrift); !strings.Contains(out, "+age:"+testRecipient2) {
		t.Fatalf("no +recipient in:\n%s", out)
	}

	// a plaintext file: 40 wins over drift
	writeFile(t, filepath.Join(dir, "s/c.yaml"), "password: hunter2\n")
	check(exitCheckPlaintext)

	// a tampered value: 41 wins over everything
	p := filepath.Join(dir, "s/b.yaml")
	data, _ := os.ReadFile(p)
	re := regexp.MustCompile(`token: ENC\[AES256_GCM,data:(.)`)
	m := re.FindSubmatchIndex(data)
	if m == nil {
		t.Fatalf("no ciphertext in %s", data)
	}
	if data[m[2]] == 'A' {
		data[m[2]] = 'B'
	} else {
		data[m[2]] = 'A'
	}
	writeFile(t, p, string(data))
	check(exitCheckTampered)

	// --json is an array of {file, status, mac_verified, findings}
	code, stdout, _ := runHull(t, env, "check", "--json", dir)
	if code != exitCheckTampered {
		t.Fatalf("check --json: exit %d", code)
	}
	var results []struct {
		File     string `json:"file"`
		Status   string `json:"status"`
		Verified bool   `json:"mac_verified"`
		Findings []struct {
			Kind, Path, Detail string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &results); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
	}
	got := map[string]string{}
	for _, r := range results {
		got[filepath.Base(r.File)] = r.Status
		for _, f := range r.Findings {
			if f.Kind == "" || f.Detail == "" {
				t.Errorf("%s: incomplete finding %+v", r.File, f)
			}
		}
	}
	want := map[string]string{"a.yaml": "drift", "b.yaml": "tampered", "c.yaml": "plaintext"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: status %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(results) != 3 {
		t.Errorf("%d results, want 3", len(results))
	}
}
