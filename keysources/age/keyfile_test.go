package age

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteIdentityFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sops", "age", "keys.txt")
	rcpt, err := WriteIdentityFile(path, time.Unix(0, 0))
	if err != nil || !strings.HasPrefix(rcpt, "age1") {
		t.Fatalf("WriteIdentityFile = %q, %v", rcpt, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", di.Mode())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := ParseIdentities(f, path)
	if err != nil || len(ids) != 1 {
		t.Fatalf("read back: %v", err)
	}
	before, _ := os.ReadFile(path)
	if _, err := WriteIdentityFile(path, time.Now()); !errors.Is(err, ErrIdentityFileExists) {
		t.Errorf("overwrote: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the identity file changed")
	}
}
