package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testRecipient1 = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	testRecipient2 = "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m"
	testIdentity1  = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"
)

// keysEnv runs hull in dir with identity 1.
type keysEnv struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newKeysEnv(t *testing.T) *keysEnv {
	dir := t.TempDir()
	t.Chdir(dir) // .sops.yaml is found from the working directory, as sops finds it
	key := filepath.Join(dir, "key1.txt")
	if err := os.WriteFile(key, []byte(testIdentity1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &keysEnv{t: t, dir: dir, env: map[string]string{
		"HOME":              dir,
		"XDG_CONFIG_HOME":   filepath.Join(dir, ".config"),
		"SOPS_AGE_KEY_FILE": key,
	}}
}

func (e *keysEnv) run(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := e.env[k]; return v, ok }
	code = Main(append([]string{"hull"}, args...), strings.NewReader(stdin), &out, &errb, lookup)
	return code, out.String(), errb.String()
}

func (e *keysEnv) write(name, content string) string {
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// TestUpdatekeysPrompt answers the confirmation on a (pretend) terminal.
func TestUpdatekeysPrompt(t *testing.T) {

	e := newKeysEnv(t)
	file := e.write("s.yaml", "a: secret\n")
	if code, _, stderr := e.run("", "encrypt", "--age", testRecipient1, "-i", file); code != 0 {
		t.Fatalf("encrypt: %d %s", code, stderr)
	}
	e.write(".sops.yaml", "creation_rules:\n  - age: "+testRecipient1+","+testRecipient2+"\n")
	before, _ := os.ReadFile(file)

	// "n" leaves the file alone, exit 0 (sops); other answers ask again.
	code, stdout, stderr := e.run("maybe\nn\n", "updatekeys", file)
	if code != 0 || !strings.Contains(stderr, "left unchanged") {
		t.Fatalf("answer n: code %d, stderr %q", code, stderr)
	}
	if strings.Count(stdout, "Is this okay? (y/n):") != 2 {
		t.Errorf("expected two prompts, got %q", stdout)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Error("the file changed after answering n")
	}

	// End of input without an answer: an error, nothing written.
	if code, _, stderr := e.run("", "updatekeys", file); code == 0 || !strings.Contains(stderr, "no answer") {
		t.Fatalf("EOF: code %d, stderr %q", code, stderr)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Error("the file changed without an answer")
	}

	// "y" applies.
	code, stdout, stderr = e.run("y\n", "updatekeys", file)
	if code != 0 || !strings.Contains(stderr, "synced with new keys") {
		t.Fatalf("answer y: code %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "+++ age:"+testRecipient2) {
		t.Errorf("diff not shown: %q", stdout)
	}
	after, _ := os.ReadFile(file)
	if !bytes.Contains(after, []byte("recipient: "+testRecipient2)) {
		t.Errorf("recipient not added:\n%s", after)
	}
}

// TestUpdatekeysNotTerminal: with stdin not a terminal and no -y, a piped
// answer is read as sops does, and the end of input never makes it wait.
func TestUpdatekeysNotTerminal(t *testing.T) {

	e := newKeysEnv(t)
	file := e.write("s.yaml", "a: secret\n")
	if code, _, stderr := e.run("", "encrypt", "--age", testRecipient1, "-i", file); code != 0 {
		t.Fatalf("encrypt: %d %s", code, stderr)
	}
	e.write(".sops.yaml", "creation_rules:\n  - age: "+testRecipient2+"\n")
	before, _ := os.ReadFile(file)
	code, _, stderr := e.run("", "updatekeys", file)
	if code != exitGeneric || !strings.Contains(stderr, "pass -y") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Error("the file changed without an answer")
	}
	if code, _, stderr := e.run("y\n", "updatekeys", file); code != 0 {
		t.Fatalf("piped y: code %d, stderr %q", code, stderr)
	}
	if after, _ := os.ReadFile(file); bytes.Equal(before, after) {
		t.Error("a piped y did not apply the change")
	}
}
