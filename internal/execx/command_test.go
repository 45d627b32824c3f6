package execx

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "noexec"), nil, 0o644)
	if p, err := LookPath("prog", "/nonexistent:"+dir); err != nil || p != prog {
		t.Errorf("LookPath = %q, %v", p, err)
	}
	for _, name := range []string{"noexec", "missing", ""} {
		if _, err := LookPath(name, dir); !errors.Is(err, ErrNotFound) {
			t.Errorf("LookPath(%q) = %v, want ErrNotFound", name, err)
		}
	}
	if p, err := LookPath("./x/y", ""); err != nil || p != "./x/y" {
		t.Errorf("a name with a slash: %q, %v", p, err)
	}
	var p Process
	if err := p.Command(nil, "echo hi", ""); err != nil || p.Path != Shell || p.Args[2] != "echo hi" {
		t.Errorf("shell form: %+v, %v", p, err)
	}
}

func TestStartError(t *testing.T) {
	if err := StartError("/x", os.ErrNotExist); !errors.Is(err, ErrNotFound) || err.Error() != "/x: command not found" {
		t.Errorf("not found: %v", err)
	}
	if err := StartError("/x", &os.PathError{Op: "fork/exec", Path: "/x", Err: os.ErrPermission}); !errors.Is(err, ErrNotExecutable) || err.Error() != "/x: permission denied" {
		t.Errorf("permission: %v", err)
	}
	if err := StartError("/x", errors.New("exec format error")); !errors.Is(err, ErrNotExecutable) {
		t.Errorf("other: %v", err)
	}
}

func TestVarsAt(t *testing.T) {
	inner := &formats.Node{Kind: formats.Mapping, Key: "app", Children: []*formats.Node{formats.NewString("TOKEN", "t")}}
	doc := &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{formats.NewString("A", "1"), formats.NewString("LD_PRELOAD", "/x.so"), inner}}
	f := &formats.File{Docs: []*formats.Node{doc}}
	top := &formats.File{Docs: []*formats.Node{{Kind: formats.Mapping, Children: doc.Children[:2]}}}
	if _, err := VarsAt(top, nil, false, nil); !errors.Is(err, hull.ErrPolicy) {
		t.Errorf("LD_PRELOAD was let through: %v", err)
	}
	if vars, err := VarsAt(top, nil, false, []string{"LD_PRELOAD"}); err != nil || len(vars) != 2 {
		t.Errorf("allowed: %v, %v", vars, err)
	}
	if _, err := VarsAt(f, nil, false, nil); err == nil {
		t.Errorf("a nested mapping became a variable: %v", err)
	}
	app, _ := hull.ParseTreePath(`["app"]`)
	if vars, err := VarsAt(f, app, false, nil); err != nil || len(vars) != 1 || vars[0] != (Var{"TOKEN", "t"}) {
		t.Errorf("VarsAt app = %v, %v", vars, err)
	}
	a, _ := hull.ParseTreePath(`["A"]`)
	if _, err := VarsAt(f, a, false, nil); !errors.Is(err, ErrNotMapping) {
		t.Errorf("a scalar: %v", err)
	}
	if _, err := VarsAt(&formats.File{}, nil, false, nil); !errors.Is(err, hull.ErrEmpty) {
		t.Errorf("no document: %v", err)
	}
	if TempBase("/t") != "/t" || TempBase("") == "" {
		t.Error("TempBase")
	}
}
