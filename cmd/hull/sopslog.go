package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// With --verbose, hull prints the log lines sops prints at its debug level
// for the steps that scripts and test suites look for (for example
// "Data key recovered successfully"): the same logger names, levels,
// messages and fields, in logrus's text layout as sops writes it to a
// file or pipe:
//
//	[SOPS]	 time="2026-01-02T03:04:05Z" level=info msg="Data key recovered successfully"

// sopsLogger is the sops logger name and the log field naming the key,
// per key type.
var sopsLogger = map[string]struct{ name, field string }{
	"age":      {"AGE", ""},
	"pgp":      {"PGP", "fingerprint"},
	"kms":      {"AWSKMS", "arn"},
	"gcp_kms":  {"GCPKMS", "resourceID"},
	"azure_kv": {"AZKV", "key"},
	"hc_vault": {"VAULT_TRANSIT", "Path"},
}

func verbose(cl *cmdLine) bool { return cl.on("verbose") }

// sopsLog prints one sops log line when --verbose is given; fields are
// key, value pairs.
func (r *runner) sopsLog(cl *cmdLine, logger, level, msg string, fields ...string) {
	if !verbose(cl) {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\t time=%s level=%s msg=%s", logger, logValue(time.Now().Format(time.RFC3339)), level, logValue(msg))
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, " %s=%s", fields[i], logValue(fields[i+1]))
	}
	fmt.Fprintln(r.stderr, b.String())
}

// logValue quotes a value as logrus's text formatter does.
func logValue(s string) string {
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

// keyLog prints sops's line for one key: msg for the key of type typ
// and identifier id.
func (r *runner) keyLog(cl *cmdLine, typ, id, msg string) {
	l, ok := sopsLogger[typ]
	if !ok {
		l = struct{ name, field string }{strings.ToUpper(typ), ""}
	}
	if l.field == "" {
		if typ == "age" && strings.HasPrefix(msg, "Encryption") {
			r.sopsLog(cl, l.name, "info", msg, "recipient", id)
			return
		}
		r.sopsLog(cl, l.name, "info", msg)
		return
	}
	r.sopsLog(cl, l.name, "info", msg, l.field, id)
}

// verboseContext makes Recover report each key that opened the file.
func (r *runner) verboseContext(cl *cmdLine, ctx context.Context) context.Context {
	if !verbose(cl) {
		return ctx
	}
	return keysources.WithOpenedBy(ctx, func(_ int, typ, id string) {
		r.keyLog(cl, typ, id, "Decryption succeeded")
	})
}

// logDecrypt prints the lines that follow a decryption: the keys that
// failed, then whether the data key was recovered and the tree decrypted.
func (r *runner) logDecrypt(cl *cmdLine, err error) {
	if !verbose(cl) {
		return
	}
	var re *keysources.RecoverError
	if errors.As(err, &re) {
		for _, g := range re.Groups {
			for _, s := range g.Stanzas {
				if s.Reason != "" {
					r.keyLog(cl, s.Type, s.ID, "Decryption failed")
				}
			}
		}
	}
	if err != nil && (errors.Is(err, keysources.ErrNoKey) || errors.Is(err, metadata.ErrInvalid)) {
		return
	}
	r.sopsLog(cl, "SOPS", "info", "Data key recovered successfully")
	r.sopsLog(cl, "SOPS", "debug", "Decrypting tree")
}

// logEncrypted prints "Encryption succeeded" for every key the data key of
// the file was wrapped for.
func (r *runner) logEncrypted(cl *cmdLine, f *formats.File) {
	if !verbose(cl) || f == nil || f.Meta == nil {
		return
	}
	m, err := metadata.Load(f.Meta)
	if err != nil {
		return
	}
	for _, g := range m.KeyGroups {
		for _, s := range g {
			r.keyLog(cl, s.Type, metadata.StanzaID(s), "Encryption succeeded")
		}
	}
}
