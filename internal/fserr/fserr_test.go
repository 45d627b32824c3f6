package fserr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestBare(t *testing.T) {
	_, err := os.Open(filepath.Join(t.TempDir(), "missing"))
	if got := Bare(err); got.Error() != "no such file or directory" || !errors.Is(got, fs.ErrNotExist) {
		t.Errorf("Bare(%v) = %v", err, got)
	}
	if got := Bare(fmt.Errorf("reading: %w", err)); got.Error() != "no such file or directory" {
		t.Errorf("Bare of a wrapped PathError = %v", got)
	}
	other := errors.New("other")
	if Bare(other) != other {
		t.Error("Bare changed an error that holds no PathError")
	}
	if Bare(nil) != nil {
		t.Error("Bare(nil) != nil")
	}
}
