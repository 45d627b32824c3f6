package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The age plugin of the tests (internal/agetestplugin), built once per test
// binary run into a directory of its own.
var (
	agePluginOnce sync.Once
	agePluginPath string
	agePluginErr  error
	agePluginDir  string // under os.TempDir: removed by removingAgePlugin
)

// removingAgePlugin runs the tests, then removes the plugin they built.
type removingAgePlugin struct{ m *testing.M }

func (r removingAgePlugin) Run() int {
	defer removeAgePlugin()
	return r.m.Run()
}

// buildAgePlugin builds age-plugin-hulltest and returns its path.
func buildAgePlugin() (string, error) {
	agePluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hull-agetestplugin")
		if err != nil {
			agePluginErr = err
			return
		}
		agePluginDir = dir
		p := filepath.Join(dir, "age-plugin-hulltest")
		out, err := exec.Command("go", "build", "-o", p, "github.com/hullsecrets/hull/internal/agetestplugin").CombinedOutput()
		if err != nil {
			agePluginErr = &buildError{out: string(out), err: err}
			return
		}
		agePluginPath = p
	})
	return agePluginPath, agePluginErr
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string {
	return "building the test age plugin: " + e.err.Error() + "\n" + e.out
}

// removeAgePlugin removes the plugin built by buildAgePlugin, if any.
func removeAgePlugin() {
	if agePluginDir != "" {
		os.RemoveAll(agePluginDir)
	}
}

// agePluginKeys runs the plugin's --generate and returns the identity and
// the recipient.
func agePluginKeys(plugin, pin string) (id, recipient string, err error) {
	args := []string{"--generate"}
	if pin != "" {
		args = append(args, "--pin", pin)
	}
	out, err := exec.Command(plugin, args...).Output()
	if err != nil {
		return "", "", err
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return "", "", &buildError{out: string(out), err: os.ErrInvalid}
	}
	return lines[0], lines[1], nil
}

// agetestplugin DIR: installs the test age plugin as DIR/age-plugin-hulltest
// and makes two keys: $HULLTEST_ID and $HULLTEST_RECIPIENT (also written to
// hulltest.txt, mode 0600), and $HULLTEST_PIN_ID and
// $HULLTEST_PIN_RECIPIENT, whose identity asks for the PIN 1234
// (hulltest-pin.txt).
func cmdAgeTestPlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: agetestplugin DIR")
	}
	src, err := buildAgePlugin()
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	data, err := os.ReadFile(src)
	ts.Check(err)
	dst := filepath.Join(dir, "age-plugin-hulltest")
	ts.Check(os.WriteFile(dst, data, 0o755))
	for _, k := range []struct{ pin, env, file string }{
		{"", "HULLTEST", "hulltest.txt"},
		{"1234", "HULLTEST_PIN", "hulltest-pin.txt"},
	} {
		id, r, err := agePluginKeys(dst, k.pin)
		ts.Check(err)
		ts.Setenv(k.env+"_ID", id)
		ts.Setenv(k.env+"_RECIPIENT", r)
		ts.Check(os.WriteFile(ts.MkAbs(k.file), []byte("# public key: "+r+"\n"+id+"\n"), 0o600))
	}
}

// TestAgePluginBuilds checks that the test plugin builds and generates keys
// in the age plugin encodings.
func TestAgePluginBuilds(t *testing.T) {
	p, err := buildAgePlugin()
	if err != nil {
		t.Fatal(err)
	}
	id, r, err := agePluginKeys(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "AGE-PLUGIN-HULLTEST-1") || !strings.HasPrefix(r, "age1hulltest1") {
		t.Fatalf("keys %.24s… %.24s…", id, r)
	}
}

// TestAgePluginSopsInterop checks plugin files both ways against the
// reference sops (.tools/bin/sops, installed by make tools; skipped without
// it), and that both exit alike when the plugin is missing.
func TestAgePluginSopsInterop(t *testing.T) {
	sops, err := filepath.Abs(filepath.Join("..", "..", ".tools", "bin", "sops"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sops); err != nil {
		t.Skip("no reference sops in .tools/bin (make tools)")
	}
	p, err := buildAgePlugin()
	if err != nil {
		t.Fatal(err)
	}
	id, recipient, err := agePluginKeys(p, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(plain, []byte("token: t0k3n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withPlugin := "PATH=" + filepath.Dir(p) + string(os.PathListSeparator) + os.Getenv("PATH")
	// No SOPS_* or HULL_* variables, not even empty ones: sops runs an
	// empty SOPS_AGE_KEY_CMD.
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOPS_") && !strings.HasPrefix(kv, "HULL_") {
			base = append(base, kv)
		}
	}
	base = append(base, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	run := func(env []string, prog string, args ...string) ([]byte, int) {
		c := exec.Command(prog, args...)
		c.Env = append(append([]string(nil), base...), env...)
		c.Dir = dir
		out, err := c.Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out, ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out, 0
	}
	for _, c := range []struct{ enc, dec string }{{sops, "hull"}, {"hull", sops}} {
		out, code := run([]string{withPlugin}, c.enc, "encrypt", "--age", recipient, plain)
		if code != 0 {
			t.Fatalf("%s encrypt: exit %d", c.enc, code)
		}
		enc := filepath.Join(dir, "enc.yaml")
		if err := os.WriteFile(enc, out, 0o600); err != nil {
			t.Fatal(err)
		}
		out, code = run([]string{withPlugin, "SOPS_AGE_KEY=" + id}, c.dec, "decrypt", enc)
		if code != 0 || string(out) != "token: t0k3n\n" {
			t.Errorf("%s encrypts, %s decrypts: exit %d, %q", c.enc, c.dec, code, out)
		}
		// Without the plugin on PATH, both fail alike.
		_, want := run([]string{"SOPS_AGE_KEY=" + id}, sops, "decrypt", enc)
		if _, got := run([]string{"SOPS_AGE_KEY=" + id}, "hull", "decrypt", enc); got != want || got != exitCouldNotRetrieveKey {
			t.Errorf("decrypt without the plugin: hull exit %d, sops %d", got, want)
		}
	}
	_, want := run(nil, sops, "encrypt", "--age", recipient, plain)
	if _, got := run(nil, "hull", "encrypt", "--age", recipient, plain); got != want {
		t.Errorf("encrypt without the plugin: hull exit %d, sops %d", got, want)
	}
}
