package localkeys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull/keysources/age"
)

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	id, rcpt, err := Keygen("-", env(), "linux", time.Now())
	if err != nil || rcpt != "" || !bytes.Contains(id, []byte("AGE-SECRET-KEY-")) {
		t.Fatalf("stdout: %q, %q, %v", id, rcpt, err)
	}
	id, rcpt, err = Keygen("", env("XDG_CONFIG_HOME", dir), "linux", time.Now())
	if err != nil || id != nil || !strings.HasPrefix(rcpt, "age1") {
		t.Fatalf("default place: %q, %q, %v", id, rcpt, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "sops", "age", "keys.txt"))
	if err != nil || !bytes.Contains(b, []byte(rcpt)) {
		t.Errorf("the default key file: %v\n%s", err, b)
	}
	if _, _, err := Keygen("", env("XDG_CONFIG_HOME", dir), "linux", time.Now()); !errors.Is(err, age.ErrIdentityFileExists) {
		t.Errorf("over an existing file: %v", err)
	}
	if _, _, err := Keygen("", env(), "linux", time.Now()); !errors.Is(err, ErrNoKeyFilePlace) {
		t.Errorf("no place: %v", err)
	}
}
