//go:build unix

package execx

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
)

func mapping(kv ...string) *formats.File {
	m := &formats.Node{Kind: formats.Mapping}
	for i := 0; i < len(kv); i += 2 {
		m.Children = append(m.Children, &formats.Node{Kind: formats.Scalar, Key: kv[i], Value: kv[i+1], Type: formats.String})
	}
	return &formats.File{Docs: []*formats.Node{m}}
}

func TestPrepare(t *testing.T) {
	var resolved string
	req := Request{Command: "exec-env", Args: []string{"s.yaml", "echo hi"}, Env: []string{"A=1"}, Scrub: []string{"TOKEN"}, Extract: `["a"]`,
		Resolve: func(file string) error { resolved = file; return nil }}
	run, err := Prepare(req)
	if err != nil || resolved != "s.yaml" || run.Child.Command != "echo hi" || len(run.Extract) != 1 {
		t.Fatalf("Prepare = %+v, %v (resolved %q)", run, err, resolved)
	}
	if s := run.Child.Scrub; len(s) != len(IdentityVars)+1 || s[len(s)-1] != "TOKEN" {
		t.Errorf("scrubbed: %q", s)
	}
	req.Args = nil
	if _, err := Prepare(req); !errors.Is(err, ErrUsage) {
		t.Errorf("no arguments: %v", err)
	}
	req.Args = []string{"s.yaml", "echo hi"}
	req.Resolve = func(string) error { return os.ErrNotExist }
	if _, err := Prepare(req); err != os.ErrNotExist {
		t.Errorf("Resolve's error: %v", err)
	}
	req.Resolve = func(string) error { return nil }
	req.Extract = `["a"`
	if _, err := Prepare(req); !errors.Is(err, hull.ErrTreePath) {
		t.Errorf("a bad --extract: %v", err)
	}
}

func TestPreparedRunEnv(t *testing.T) {
	var out bytes.Buffer
	run, err := Prepare(Request{Command: "exec-env", Args: []string{"f", `echo "$A${KEEP:-}"; exit 5`}, Env: []string{"KEEP=k", "PATH=" + os.Getenv("PATH")}, Stdout: &out, Stderr: &out,
		Resolve: func(string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	o := EnvRun{Format: "yaml", Display: "f", Open: func() (*formats.File, error) { opened++; return mapping("A", "x"), nil }}
	if code, err := run.RunEnv(o); err != nil || code != 5 || out.String() != "xk\n" {
		t.Errorf("RunEnv = %d, %v, output %q", code, err, out.String())
	}
	out.Reset()
	o.Pristine = true
	if code, err := run.RunEnv(o); err != nil || code != 5 || out.String() != "x\n" || run.Child.Env == nil {
		t.Errorf("pristine: %d, %v, output %q (the prepared child keeps its environment: %t)", code, err, out.String(), run.Child.Env != nil)
	}
	o.Pristine = false
	o.Unquote = true
	if _, err := run.RunEnv(o); !errors.Is(err, ErrDotenvOnly) || !strings.Contains(err.Error(), "f is read as yaml") {
		t.Errorf("--dotenv-unquote on yaml: %v", err)
	}
	o.Unquote, o.Background, o.SameProcess = false, true, true
	if _, err := run.RunEnv(o); !errors.Is(err, ErrModes) {
		t.Errorf("two modes: %v", err)
	}
	o.Background, o.SameProcess = false, false
	o.Open = func() (*formats.File, error) { return mapping("LD_PRELOAD", "x"), nil }
	var ve *VarsError
	if _, err := run.RunEnv(o); !errors.As(err, &ve) || !errors.Is(err, hull.ErrPolicy) || !strings.HasPrefix(err.Error(), "f: ") {
		t.Errorf("a refused name: %v", err)
	}
	run.Child.Command, run.Child.Argv = "", []string{"no-such-program-hull"}
	o.Open = func() (*formats.File, error) { return mapping("A", "x"), nil }
	var ce *ChildError
	if _, err := run.RunEnv(o); !errors.As(err, &ce) || !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing program: %v", err)
	}
}

func TestPreparedRunFile(t *testing.T) {
	var out bytes.Buffer
	run, err := Prepare(Request{Command: "exec-file", Args: []string{"f", "--", "/bin/cat", "{}"}, Stdout: &out, Stderr: &out, Resolve: func(string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	o := FileRun{Extensions: []string{".yaml"}, Display: "f", Base: t.TempDir(), Warn: func(err error) { t.Errorf("warning: %v", err) },
		Open: func() (*formats.File, error) { return mapping("a", "1"), nil },
		Emit: func(f *formats.File, ex []hull.PathStep) ([]byte, error) { return []byte("a: 1\n"), nil }}
	if code, err := run.RunFile(o); err != nil || code != 0 || out.String() != "a: 1\n" {
		t.Errorf("RunFile = %d, %v, output %q", code, err, out.String())
	}
	o.Name = "a/b"
	if _, err := run.RunFile(o); err == nil || !strings.HasPrefix(err.Error(), "--filename ") {
		t.Errorf("a bad --filename: %v", err)
	}
	o.Name = ""
	o.Emit = func(*formats.File, []hull.PathStep) ([]byte, error) { return nil, hull.ErrTreePath }
	if _, err := run.RunFile(o); !errors.Is(err, hull.ErrTreePath) || !strings.HasPrefix(err.Error(), "f: ") {
		t.Errorf("an error of Emit: %v", err)
	}
	o.Emit = func(*formats.File, []hull.PathStep) ([]byte, error) { return nil, nil }
	o.Base = o.Base + "/missing"
	var ce *ChildError
	if _, err := run.RunFile(o); !errors.As(err, &ce) || !errors.Is(err, ErrServe) {
		t.Errorf("no base directory: %v", err)
	}
}
