// Package yaml reads and writes YAML files as sops 3.13 does: one mapping
// per document, comments kept as Comment nodes where sops' tree has them,
// and output byte-identical to sops' yaml.v3 encoding (4-space indent).
//
// # Differences from sops
//
//   - Duplicate keys are rejected in every document and at every depth
//     (sops checks only the first document).
//   - A key that is not a string (1: x, true: y) is read as its text; sops
//     reads it and fails later when it encrypts.
//   - Inline comments stay inline: "a: 1 # x" is written back as is, where
//     a sops decrypt moves the comment above the key.
//   - Float literals are kept as written ("1.0" stays "1.0") in the tree
//     and so in what is encrypted; a plaintext file prints them as sops
//     does (through float64: 1.0 as 1), an encrypted file keeps the
//     literal of a float left in clear, so that it reads back as a float.
package yaml

import "github.com/hullsecrets/hull/formats"

const name = "yaml"

type yamlFormat struct{}

// New returns the YAML format.
func New() formats.Format { return yamlFormat{} }

func (yamlFormat) Name() string { return name }

func (yamlFormat) Extensions() []string { return []string{".yaml", ".yml"} }

func (yamlFormat) Emit(f *formats.File, opts formats.EmitOptions) ([]byte, error) {
	if f == nil {
		return nil, &formats.UnsupportedError{Format: name, Msg: "no file"}
	}
	if out, err := emitDirect(f, opts); err == nil {
		return out, nil
	}
	return emitV3(f, opts)
}
