package sopsenv

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/keysources/companion"
)

// A run's hull-kms client costs nothing until a cloud key is used: the
// settings (os.Executable, the build information, the environment) are
// read when hull-kms is first started, once, and the error of a missing
// hull-kms carries the hint made from them.
func TestCompanionSettingsReadOnStart(t *testing.T) {
	calls := 0
	settings := func() CompanionSettings {
		calls++
		lookup := func(k string) (string, bool) {
			if k == CompanionVar {
				return "/nonexistent/hull-kms", true
			}
			return "", false
		}
		return CompanionSettings{Env: lookup, Version: "v1.2.3"}
	}
	var h Companion
	c := h.Client(settings)
	if c2 := h.Client(settings); c2 != c {
		t.Fatal("Client made a second client")
	}
	if calls != 0 || c.Started() {
		t.Fatalf("settings read %d times and started=%v before any request, want 0 and false", calls, c.Started())
	}
	err := c.Upload(context.Background(), "s3", "bucket", "key", []byte("x"))
	if !errors.Is(err, companion.ErrNotInstalled) {
		t.Fatalf("Upload with a missing hull-kms: %v, want ErrNotInstalled", err)
	}
	if want := CompanionHint("v1.2.3"); !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %q does not end with the hint %q", err, want)
	}
	c.Upload(context.Background(), "s3", "bucket", "key", []byte("x"))
	if calls != 1 {
		t.Errorf("settings read %d times, want once", calls)
	}
}
