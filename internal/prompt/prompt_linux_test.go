package prompt

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/hullsecrets/hull/internal/ptytest"
)

// TestAskSecretKeep: a passphrase is read without echo; a Terminal with
// Keep asks for it once per process, one without (the key service) asks
// each time.
func TestAskSecretKeep(t *testing.T) {
	master, tty := ptytest.Open(t)
	go func() {
		b := make([]byte, 256)
		for {
			if _, err := master.Read(b); err != nil {
				return
			}
		}
	}()
	prompt := fmt.Sprintf("Enter passphrase for identity '%s':", t.Name())
	for _, tc := range []struct {
		term  Terminal
		typed string
		want  string
	}{
		{Terminal{Prefix: "[KEYSERVICE] "}, "first", "first"},
		{Terminal{Prefix: "[KEYSERVICE] "}, "second", "second"}, // not kept
		{Terminal{Keep: true}, "third", "third"},
		{Terminal{Keep: true}, "", "third"}, // kept: nothing is asked
	} {
		if tc.typed != "" {
			master.Write([]byte(tc.typed + "\r"))
		}
		var out bytes.Buffer
		v, err := tc.term.ask(tty, &out, "", prompt, true)
		if err != nil || v != tc.want {
			t.Fatalf("ask = %q, %v; want %q", v, err, tc.want)
		}
		if asked := out.String() != ""; asked != (tc.typed != "") || asked && out.String() != tc.term.Prefix+prompt+" \n" {
			t.Errorf("prompt %q", out.String())
		}
	}
	delete(passphrases, prompt)
}
