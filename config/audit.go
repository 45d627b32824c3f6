package config

import (
	"path/filepath"
	"strings"
)

// Audit is the top-level audit block of .sops.yaml, a hull extension
// (sops ignores it):
//
//	audit:
//	  path: /var/log/hull/audit.jsonl  # relative paths are relative to the config's directory
//	  required: true                   # refuse to decrypt when the log cannot be written
//	  fsync: false                     # fsync after every line
//
// Because whoever can change .sops.yaml chooses the path, the path must
// name a file ending in .log or .jsonl (so it cannot name a shell start-up
// file or a hook script), and a URL is refused (the audit log is a file;
// the error does not repeat it, since a DSN may hold a password).
type Audit struct {
	// Line is the line of the audit key.
	Line int
	// Path is the log file as written; see [Config.AuditPath].
	Path string
	// Required: a decrypting command refuses to run when the log cannot
	// be written.
	Required bool
	// Fsync: fsync the log after every line.
	Fsync bool
}

// AuditSuffixes are the endings an audit path from a config may have.
var AuditSuffixes = []string{".log", ".jsonl"}

// AuditPath is the audit block's path made absolute against Dir, or ""
// when there is no audit block or it names no path.
func (c *Config) AuditPath() string {
	if c == nil || c.Audit == nil || c.Audit.Path == "" {
		return ""
	}
	if filepath.IsAbs(c.Audit.Path) {
		return filepath.Clean(c.Audit.Path)
	}
	return filepath.Join(c.Dir, c.Audit.Path)
}

// audit parses the audit block. null is no block.
func (p *parser) audit(f field) (*Audit, error) {
	if isNull(p.resolved(f.val)) {
		return nil, nil
	}
	fields, err := p.mapping(f.val, "audit")
	if err != nil {
		return nil, err
	}
	a := &Audit{Line: f.line}
	for _, g := range fields {
		switch g.key {
		case "path":
			s, err := p.str(g.val, "audit: path")
			if err != nil {
				return nil, err
			}
			line := p.resolved(g.val).Line
			switch {
			case s == "":
				return nil, p.errorf(line, "audit: path: empty (leave the key out for no log)")
			case strings.Contains(s, "://"):
				return nil, p.errorf(line, "audit: path: a URL is not supported; the audit log is a file")
			case strings.ContainsRune(s, 0) || strings.ContainsAny(s, "\n\r"):
				return nil, p.errorf(line, "audit: path: contains a control character")
			case !hasAuditSuffix(s):
				return nil, p.errorf(line, "audit: path %q: the file name must end in %s", s, strings.Join(AuditSuffixes, " or "))
			}
			a.Path = s
		case "required":
			if a.Required, err = p.boolean(g.val, "audit: required"); err != nil {
				return nil, err
			}
		case "fsync":
			if a.Fsync, err = p.boolean(g.val, "audit: fsync"); err != nil {
				return nil, err
			}
		default:
			return nil, p.unknownStrict(g, "audit", "path", "required", "fsync")
		}
	}
	return a, nil
}

func hasAuditSuffix(s string) bool {
	for _, suf := range AuditSuffixes {
		if strings.HasSuffix(s, suf) && len(filepath.Base(s)) > len(suf) {
			return true
		}
	}
	return false
}
