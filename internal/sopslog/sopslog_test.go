package sopslog

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull/keysources"
)

func fixed() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestValue(t *testing.T) {
	for in, want := range map[string]string{
		"":              `""`,
		"plain-1.2_x/y": "plain-1.2_x/y",
		"two words":     `"two words"`,
		`quo"te`:        `"quo\"te"`,
		"age1abc@x^+":   "age1abc@x^+",
	} {
		if got := Value(in); got != want {
			t.Errorf("Value(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLineLayout(t *testing.T) {
	var b bytes.Buffer
	l := &Logger{W: &b, Now: fixed}
	l.Line("SOPS", "info", "Data key recovered successfully")
	l.Key("age", "age1xyz", "Encryption succeeded")
	l.Key("age", "age1xyz", "Decryption succeeded")
	l.Key("pgp", "ABCD", "Decryption failed")
	l.Key("newtype", "id", "Decryption failed")
	want := "[SOPS]\t time=\"2026-01-02T03:04:05Z\" level=info msg=\"Data key recovered successfully\"\n" +
		"[AGE]\t time=\"2026-01-02T03:04:05Z\" level=info msg=\"Encryption succeeded\" recipient=age1xyz\n" +
		"[AGE]\t time=\"2026-01-02T03:04:05Z\" level=info msg=\"Decryption succeeded\"\n" +
		"[PGP]\t time=\"2026-01-02T03:04:05Z\" level=info msg=\"Decryption failed\" fingerprint=ABCD\n" +
		"[NEWTYPE]\t time=\"2026-01-02T03:04:05Z\" level=info msg=\"Decryption failed\"\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestNilLoggerIsQuiet(t *testing.T) {
	var l *Logger
	l.Line("SOPS", "info", "x")
	l.Decrypted(nil)
	l.Encrypted(nil)
	if ctx := context.Background(); l.Context(ctx) != ctx {
		t.Error("a nil logger changed the context")
	}
}

func TestDecrypted(t *testing.T) {
	var b bytes.Buffer
	l := &Logger{W: &b, Now: fixed}
	re := &keysources.RecoverError{Groups: []keysources.GroupReport{{Stanzas: []keysources.StanzaReport{
		{Type: "kms", ID: "arn:aws:kms:x", Reason: keysources.ReasonNotRecipient},
		{Type: "age", ID: "age1ok"},
	}}}}
	l.Decrypted(re)
	got := b.String()
	if !strings.Contains(got, "[AWSKMS]\t") || !strings.Contains(got, `msg="Decryption failed" arn="arn:aws:kms:x"`) {
		t.Errorf("no failed-key line for the kms stanza:\n%s", got)
	}
	if strings.Contains(got, "age1ok") {
		t.Errorf("the stanza that worked was logged as failed:\n%s", got)
	}
	if strings.Contains(got, "Data key recovered") {
		t.Errorf("a failed recovery logged success:\n%s", got)
	}
	b.Reset()
	l.Decrypted(fmt.Errorf("f: %w", keysources.ErrNoKey))
	if b.Len() != 0 {
		t.Errorf("a failed recovery logged:\n%s", b.String())
	}
	l.Decrypted(nil)
	if got := b.String(); !strings.Contains(got, "Data key recovered successfully") || !strings.Contains(got, "level=debug msg=\"Decrypting tree\"") {
		t.Errorf("missing the recovered lines:\n%s", got)
	}
}

func TestNew(t *testing.T) {
	var b bytes.Buffer
	if l := New(&b, false); l != nil {
		t.Errorf("New(off) = %+v, want nil", l)
	}
	l := New(&b, true)
	l.Now = fixed
	l.Line("SOPS", "info", "x")
	if b.Len() == 0 {
		t.Error("New(on) wrote nothing")
	}
}
