package hull_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
)

func TestReadInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.yaml")
	os.WriteFile(p, []byte("a: 1\n"), 0o600)
	if b, err := hull.ReadInput(p, nil, "yaml"); err != nil || string(b) != "a: 1\n" {
		t.Errorf("file: %q, %v", b, err)
	}
	if b, err := hull.ReadInput("", strings.NewReader("x"), "yaml"); err != nil || string(b) != "x" {
		t.Errorf("stdin: %q, %v", b, err)
	}
	if _, err := hull.ReadInput(filepath.Join(dir, "no"), nil, "yaml"); !errors.Is(err, fs.ErrNotExist) || !strings.HasSuffix(err.Error(), "no: no such file") {
		t.Errorf("missing: %v", err)
	}
	if _, err := hull.ReadInput(dir, nil, "yaml"); !errors.Is(err, hull.ErrIsDirectory) {
		t.Errorf("directory: %v", err)
	}
	big := strings.NewReader(strings.Repeat("x", int(formats.DefaultLimits.MaxBytes)+1))
	var le *formats.LimitError
	if _, err := hull.ReadInput("", big, "json"); !errors.As(err, &le) || le.Format != "json" {
		t.Errorf("over the limit: %v", err)
	}
}
