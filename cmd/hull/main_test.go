package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
)

var update = flag.Bool("update", false, "update testscript golden output")

func hullMain() {
	os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.LookupEnv))
}

func TestMain(m *testing.M) {
	fsizeChildHook()
	// Under -race a program that exits cleanly sleeps GORACE's
	// atexit_sleep_ms (1 s by default) so that late race reports can land.
	// The tests start hull (this binary) well over a thousand times: with
	// the default, cmd/hull's tests spent most of their time in that sleep.
	// Races are still reported as they happen and still fail the run.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	testscript.Main(removingAgePlugin{m}, map[string]func(){ // age_plugin_test.go
		"hull":        hullMain,
		"sops":        hullMain,       // hull answers as sops under that name
		"fake-editor": fakeEditorMain, // the editor of edit_*.txtar (edit_test.go)
		"edit-helper": editHelperMain, // checks for edit_*.txtar (edit_test.go)
		"hull-kms":    companionMain,  // the cloud key sources (cloud_script_test.go)
	})
}

// Tests that run hull only as a subprocess call t.Parallel, so that their
// waiting overlaps; tests that call Main in-process must not: urfave/cli
// keeps state in package globals (the help flag), so two Main calls at once
// race.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata",
		UpdateScripts: *update,
		Condition:     scriptCondition,
		Setup: func(e *testscript.Env) error {
			// Keep the user's real identities and config out of the tests.
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(e.WorkDir, ".config"))
			e.Setenv("GORACE", os.Getenv("GORACE")) // see TestMain
			// $REPO: the repository's own fixtures (testdata/interop).
			if repo, err := filepath.Abs(filepath.Join("..", "..")); err == nil {
				e.Setenv("REPO", repo)
			}
			setupCloudScript(e)      // for cloud-server (cloud_script_test.go)
			setupKeyserviceScript(e) // $REFSOPS (keyservice_script_test.go)
			// Identity files in scripts are private, as a user's would be
			// (hull warns about readable ones; policy_write.txtar tests it).
			keys, _ := filepath.Glob(filepath.Join(e.WorkDir, "*.txt"))
			for _, k := range keys {
				if b, err := os.ReadFile(k); err == nil && strings.Contains(string(b), "AGE-SECRET-KEY-") {
					os.Chmod(k, 0o600)
				}
			}
			// A script that starts gpg-agent (GNUPGHOME in $WORK) must not
			// leave it running when it fails half-way.
			e.Defer(func() {
				if home := e.Getenv("GNUPGHOME"); home != "" {
					exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
				}
			})
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"encrypted": cmdEncrypted,
			"plain":     cmdPlain,
			"perm":      cmdPerm,
			"replace":   cmdReplace,
			// cloud-server kms|vault|gcp|azure (cloud_script_test.go)
			"cloud-server": cmdCloudServer,
			// agetestplugin DIR (age_plugin_test.go)
			"agetestplugin": cmdAgeTestPlugin,
			// vault-requests N: the script's Vault server got N requests
			"vault-requests": cmdVaultRequests,
			// without-companion: PATH without hull-kms (companion_test.go)
			"without-companion": cmdWithoutCompanion,
			// wait-socket, free-port, tls-certs (keyservice_script_test.go)
			"wait-socket": cmdWaitSocket,
			"free-port":   cmdFreePort,
			"tls-certs":   cmdTLSCerts,
			// publish-server, published (publish_script_test.go)
			"publish-server": cmdPublishServer,
			"published":      cmdPublished,
		},
	})
}

// lookupValue parses FILE (format by extension; stdout is read as YAML) and returns the node at
// the sops tree path.
func lookupValue(ts *testscript.TestScript, file, path string) *formats.Node {
	data := ts.ReadFile(file) // also reads "stdout"
	name := file
	if file == "stdout" {
		name = "stdout.yaml"
	}
	f, _ := all.Registry().ForPath(name, "binary")
	parsed, err := f.Parse([]byte(data), formats.ParseOptions{Encrypted: true})
	ts.Check(err)
	steps, err := hull.ParseTreePath(path)
	ts.Check(err)
	n, err := hull.Lookup(parsed.Docs[0], steps)
	ts.Check(err)
	return n
}

// encrypted FILE PATH: the value at PATH is an ENC[…] value.
func cmdEncrypted(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: encrypted FILE PATH")
	}
	n := lookupValue(ts, args[0], args[1])
	enc := n.Kind == formats.Scalar && n.Type == formats.String && strings.HasPrefix(n.Value, "ENC[AES256_GCM,")
	if enc == neg {
		ts.Fatalf("%s %s: encrypted=%v", args[0], args[1], enc)
	}
}

// plain FILE PATH VALUE: the value at PATH is in clear and equals VALUE.
func cmdPlain(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: plain FILE PATH VALUE")
	}
	n := lookupValue(ts, args[0], args[1])
	ok := n.Kind == formats.Scalar && n.Value == args[2]
	if ok == neg {
		ts.Fatalf("%s %s: value %q", args[0], args[1], n.Value)
	}
}

// perm FILE MODE: the file has that permission (octal).
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm FILE MODE")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	got := fmt.Sprintf("%04o", fi.Mode().Perm())
	if (got == args[1]) == neg {
		ts.Fatalf("%s: mode %s", args[0], got)
	}
}

// replace OLD NEW FILE: replaces every OLD by NEW in FILE (a tamper).
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace OLD NEW FILE")
	}
	p := ts.MkAbs(args[2])
	data, err := os.ReadFile(p)
	ts.Check(err)
	if !strings.Contains(string(data), args[0]) {
		ts.Fatalf("%s does not contain %q", args[2], args[0])
	}
	ts.Check(os.WriteFile(p, []byte(strings.ReplaceAll(string(data), args[0], args[1])), 0o644))
}

// goraceEnv is the GORACE setting (see TestMain) for tests that start hull
// with an environment built from scratch.
func goraceEnv() string { return "GORACE=" + os.Getenv("GORACE") }
