// Package sopslog writes the log lines sops prints at its debug level for
// the steps that scripts and test suites look for (for example "Data key
// recovered successfully"): the same logger names, levels, messages and
// fields, in logrus's text layout as sops writes it to a file or pipe:
//
//	[SOPS]	 time="2026-01-02T03:04:05Z" level=info msg="Data key recovered successfully"
//
// hull prints them under --verbose. A nil *Logger writes nothing, so a
// caller keeps one logger and passes nil when the lines are off.
package sopslog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Logger writes sops's log lines to W. Now is the clock (time.Now when
// nil).
type Logger struct {
	W   io.Writer
	Now func() time.Time
}

// New is a Logger writing to w when on (sops's debug level: --verbose),
// else nil, which writes nothing.
func New(w io.Writer, on bool) *Logger {
	if !on {
		return nil
	}
	return &Logger{W: w}
}

// loggers are the sops logger name and the log field naming the key, per
// key type.
var loggers = map[string]struct{ name, field string }{
	"age":      {"AGE", ""},
	"pgp":      {"PGP", "fingerprint"},
	"kms":      {"AWSKMS", "arn"},
	"gcp_kms":  {"GCPKMS", "resourceID"},
	"azure_kv": {"AZKV", "key"},
	"hc_vault": {"VAULT_TRANSIT", "Path"},
}

// Line writes one line of logger at level; fields are key, value pairs.
func (l *Logger) Line(logger, level, msg string, fields ...string) {
	if l == nil || l.W == nil {
		return
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\t time=%s level=%s msg=%s", logger, Value(now().Format(time.RFC3339)), level, Value(msg))
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, " %s=%s", fields[i], Value(fields[i+1]))
	}
	b.WriteByte('\n')
	io.WriteString(l.W, b.String())
}

// Value quotes a value as logrus's text formatter does.
func Value(s string) string {
	for _, ch := range s {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.ContainsRune("-._/@^+", ch)) {
			return fmt.Sprintf("%q", s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// Key writes sops's line msg for the key of type typ and identifier id,
// under that key source's logger name and field.
func (l *Logger) Key(typ, id, msg string) {
	lg, ok := loggers[typ]
	if !ok {
		lg = struct{ name, field string }{strings.ToUpper(typ), ""}
	}
	switch {
	case lg.field == "" && typ == "age" && strings.HasPrefix(msg, "Encryption"):
		l.Line(lg.name, "info", msg, "recipient", id)
	case lg.field == "":
		l.Line(lg.name, "info", msg)
	default:
		l.Line(lg.name, "info", msg, lg.field, id)
	}
}

// Context makes keysources.Recover report each key that opened the file
// ("Decryption succeeded"); with a nil Logger it is ctx.
func (l *Logger) Context(ctx context.Context) context.Context {
	if l == nil {
		return ctx
	}
	return keysources.WithOpenedBy(ctx, func(_ int, typ, id string) {
		l.Key(typ, id, "Decryption succeeded")
	})
}

// Decrypted writes the lines that follow a decryption whose error is err:
// the keys that failed, then, unless no data key was recovered or the
// metadata was invalid, that the data key was recovered and the tree
// decrypted.
func (l *Logger) Decrypted(err error) {
	if l == nil {
		return
	}
	var re *keysources.RecoverError
	if errors.As(err, &re) {
		for _, g := range re.Groups {
			for _, s := range g.Stanzas {
				if s.Reason != "" {
					l.Key(s.Type, s.ID, "Decryption failed")
				}
			}
		}
	}
	if err != nil && (errors.Is(err, keysources.ErrNoKey) || errors.Is(err, metadata.ErrInvalid)) {
		return
	}
	l.Line("SOPS", "info", "Data key recovered successfully")
	l.Line("SOPS", "debug", "Decrypting tree")
}

// Encrypted writes "Encryption succeeded" for every key the data key of
// f, an encrypted file, was wrapped for.
func (l *Logger) Encrypted(f *formats.File) {
	if l == nil || f == nil || f.Meta == nil {
		return
	}
	m, err := metadata.Load(f.Meta)
	if err != nil {
		return
	}
	for _, g := range m.KeyGroups {
		for _, s := range g {
			l.Key(s.Type, metadata.StanzaID(s), "Encryption succeeded")
		}
	}
}
