package sopsenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/prompt"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/keysources/pgp"
)

func TestKeyHint(t *testing.T) {
	noKey := func(cause error) error { return fmt.Errorf("f.yaml: %w: %w", keysources.ErrNoKey, cause) }
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("other"), ""},
		{&localkeys.NoIdentityError{File: "f", Err: keysources.ErrNoKey}, "SOPS_AGE_KEY_FILE"},
		{noKey(prompt.ErrNoTerminal), "run hull in a terminal"},
		{noKey(pgp.ErrGPGNotFound), "SOPS_GPG_EXEC"},
		{noKey(keysources.ErrAccessDenied), "refused access"},
		{&keysources.RecoverError{Groups: make([]keysources.GroupReport, 3), Needed: 2, Recovered: 1}, "opened 1 of the file's 3 key groups, but 2 are needed"},
		{fmt.Errorf("f: %w", keysources.ErrNoKey), "none of your identities is a recipient"},
	} {
		got := KeyHint(tc.err)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("KeyHint(%v) = %q, want %q in it", tc.err, got, tc.want)
		}
	}
}
