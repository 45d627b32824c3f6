// Package publish is hull publish: where a file goes by the destination
// rules of .sops.yaml (an S3 or GCS bucket, or a Vault KV secret), as sops
// publish does, and the Vault KV client. Uploads to buckets go through
// hull-kms (keysources/companion), so that hull links no cloud SDK.
package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
)

// The kinds of destination.
const (
	S3    = "s3"
	GCS   = "gcs"
	Vault = "vault"
)

// ErrNoDestination is returned for a file no destination rule matches, or
// whose rule names no destination.
var ErrNoDestination = errors.New("no destination configured for this file")

// Target is where one file goes.
type Target struct {
	Kind string
	// Bucket and Key are a bucket's object (S3, GCS): the prefix, then
	// the file's path.
	Bucket, Key string
	// Vault KV: the server (empty: VAULT_ADDR's, the caller's), the
	// engine's mount ("secret/") and version (1 or 2), and the secret's
	// path in it.
	Address string
	Mount   string
	Version int
	Path    string
}

// For is the target of the file at path by the rule d. The object is
// named as sops names it: the rule's prefix, then the file's base name,
// or, when root is the directory given to --recursive, the file's path
// below root (with slashes). A file given to --recursive itself gets its
// base name (sops names it "." and uploads it as the bare prefix).
// omitExtensions (--omit-extensions, or the rule's omit_extensions) drops
// the file's extension.
func For(d *config.DestinationRule, path, root string, omitExtensions bool) (Target, error) {
	if d == nil {
		return Target{}, ErrNoDestination
	}
	name, err := objectName(path, root)
	if err != nil {
		return Target{}, err
	}
	if omitExtensions || d.OmitExtensions {
		name = strings.TrimSuffix(name, filepath.Ext(name))
	}
	switch {
	case d.S3Bucket != "":
		return Target{Kind: S3, Bucket: d.S3Bucket, Key: d.S3Prefix + name}, nil
	case d.GCSBucket != "":
		return Target{Kind: GCS, Bucket: d.GCSBucket, Key: d.GCSPrefix + name}, nil
	case d.VaultPath != "":
		p := d.VaultPath
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		mount := d.VaultKVMountName
		if mount == "" {
			mount = "secret/"
		}
		if !strings.HasSuffix(mount, "/") {
			mount += "/"
		}
		v := d.VaultKVVersion
		if v != 1 {
			v = 2
		}
		return Target{Kind: Vault, Address: d.VaultAddress, Mount: mount, Version: v, Path: p + name}, nil
	}
	return Target{}, fmt.Errorf("%w: the destination rule at line %d names no s3_bucket, gcs_bucket or vault_path", ErrNoDestination, d.Line)
}

// objectName is the file's name in its destination: its path below root,
// or its base name when there is no root or the file is the root.
func objectName(path, root string) (string, error) {
	if root != "" {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return "", fmt.Errorf("%s: cannot name it below %s: %w", path, root, err)
		}
		if rel != "." {
			return filepath.ToSlash(rel), nil
		}
	}
	return filepath.Base(path), nil
}

// APIPath is a Vault target's path below /v1/: the KV v2 engine puts data/
// after the mount.
func (t Target) APIPath() string {
	if t.Version == 1 {
		return t.Mount + t.Path
	}
	return t.Mount + "data/" + t.Path
}

// String names the target as sops does in its question: s3://bucket/key,
// gcs://bucket/key, or the Vault URL of the secret.
func (t Target) String() string {
	switch t.Kind {
	case S3:
		return "s3://" + t.Bucket + "/" + t.Key
	case GCS:
		return "gcs://" + t.Bucket + "/" + t.Key
	}
	return strings.TrimSuffix(t.Address, "/") + "/v1/" + t.APIPath()
}

// Data is a decrypted document as the values Vault KV stores (sops's
// EmitAsMap): mappings become objects, sequences arrays, scalars their
// JSON types; comments are left out. The root must be a mapping.
func Data(doc *formats.Node) (map[string]any, error) {
	if doc == nil || doc.Kind != formats.Mapping {
		return nil, errors.New("only a file whose top level is a mapping can be published to Vault")
	}
	v, err := value(doc)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func value(n *formats.Node) (any, error) {
	switch n.Kind {
	case formats.Mapping:
		m := map[string]any{}
		for _, c := range n.Children {
			if c.Kind == formats.Comment {
				continue
			}
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			m[c.Key] = v
		}
		return m, nil
	case formats.Sequence:
		s := []any{}
		for _, c := range n.Children {
			if c.Kind == formats.Comment {
				continue
			}
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	switch n.Type {
	case formats.Null:
		return nil, nil
	case formats.Int:
		return strconv.ParseInt(n.Value, 10, 64)
	case formats.Float:
		return strconv.ParseFloat(n.Value, 64)
	case formats.Bool:
		return n.Value == "True" || n.Value == "true", nil
	}
	return n.Value, nil
}

// Files are the files to publish for path: path itself, or with recursive
// every regular file under the directory path, in lexical order. A
// directory without recursive is an error, as in sops. Symbolic links
// under the directory are not followed (sops follows those to files):
// they are returned in links, for the caller to say so.
func Files(path string, recursive bool) (files, links []string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil, nil
	}
	if !recursive {
		return nil, nil, fmt.Errorf("%s is a directory: pass --recursive to publish the files in it", path)
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.Type()&fs.ModeSymlink != 0:
			links = append(links, p)
		case d.Type().IsRegular():
			files = append(files, p)
		}
		return nil
	})
	return files, links, err
}
