package bulk

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

func TestConfirmUpdate(t *testing.T) {
	dir := t.TempDir()
	_, other, _ := age.GenerateIdentity(time.Now())
	ruleKey := "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	write(t, dir, ".sops.yaml", "creation_rules:\n  - path_regex: s/\n    age: "+ruleKey+"\n")
	encrypt := func(name, rcpt string) {
		rs, err := age.ParseRecipients(rcpt)
		if err != nil {
			t.Fatal(err)
		}
		out, err := hull.EncryptData([]byte("a: 1\n"), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
		if err != nil {
			t.Fatal(err)
		}
		write(t, dir, name, string(out))
	}
	encrypt("s/same.yaml", ruleKey)
	encrypt("s/drift.yaml", other)
	files, _, err := WalkTree([]string{dir}, "", func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var asked string
	n, ok, err := ConfirmUpdate(context.Background(), files, &out, func(q string) (bool, error) { asked = q; return true, nil })
	if err != nil || n != 1 || !ok || asked != "Update 1 files?" {
		t.Fatalf("ConfirmUpdate = %d, %t, %v (asked %q)", n, ok, err, asked)
	}
	if s := out.String(); !strings.HasPrefix(s, "The keys of these files will change") || !strings.Contains(s, filepath.Join("s", "drift.yaml")) || strings.Contains(s, "same.yaml") {
		t.Errorf("listed:\n%s", s)
	}
	if _, _, err := ConfirmUpdate(context.Background(), files, io.Discard, func(string) (bool, error) { return false, io.EOF }); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("no answer: %v", err)
	}
	encrypt("s/drift.yaml", ruleKey)
	n, ok, err = ConfirmUpdate(context.Background(), files, io.Discard, func(string) (bool, error) { t.Error("asked with nothing to change"); return true, nil })
	if n != 0 || ok || err != nil {
		t.Errorf("nothing drifted: %d, %t, %v", n, ok, err)
	}
}

// CheckTree finds recipient drift with sopsenv's rule keys, and with
// DriftWarns it only warns.
func TestCheckTreeDrift(t *testing.T) {
	dir := t.TempDir()
	_, other, _ := age.GenerateIdentity(time.Now())
	write(t, dir, ".sops.yaml", "creation_rules:\n  - path_regex: s/\n    age: age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\n")
	rs, _ := age.ParseRecipients(other)
	out, err := hull.EncryptData([]byte("a: 1\n"), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "s/a.yaml", string(out))
	o := TreeCheck{Roots: []string{dir}, Warn: func(string) {}, Options: func() (hull.CheckOptions, error) { return hull.CheckOptions{NoDecrypt: true}, nil }}
	rep, err := CheckTree(context.Background(), o)
	if err != nil || rep.Worst != "drift" || len(rep.DriftWarnings) != 0 {
		t.Fatalf("drift: %+v, %v", rep, err)
	}
	o.DriftWarns = true
	rep, err = CheckTree(context.Background(), o)
	if err != nil || rep.Worst != "" || len(rep.DriftWarnings) != 1 || rep.DriftWarnings[0].Kind != hull.FindRecipientDrift {
		t.Fatalf("drift that warns: %+v, %v", rep, err)
	}
}
