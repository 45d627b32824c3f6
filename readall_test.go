package hull

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadAll: a regular file is read into one buffer of its size, other
// readers as io.ReadAll reads them, and the limit holds either way.
func TestReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	open := func() *os.File {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	got, err := readAll(open(), 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("regular file: %d bytes, %v", len(got), err)
	}
	if cap(got) != len(data)+1 {
		t.Errorf("regular file: capacity %d for %d bytes, want one buffer of the size", cap(got), len(data))
	}
	// Over the limit: limit+1 bytes, for the caller's size error.
	if got, err := readAll(open(), 100); err != nil || len(got) != 101 {
		t.Errorf("over the limit: %d bytes, %v", len(got), err)
	}
	// The file changed after it was opened: read as it is now.
	f := open()
	if err := os.WriteFile(path, append(bytes.Clone(data), "more"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(f, 1<<20); err != nil || len(got) != len(data)+4 {
		t.Errorf("changed file: %d bytes, %v", len(got), err)
	}
	// Not a file.
	if got, err := readAll(io.MultiReader(strings.NewReader("ab"), strings.NewReader("c")), 10); err != nil || string(got) != "abc" {
		t.Errorf("reader: %q, %v", got, err)
	}
}
