// Package all is the table of every file format hull knows. Adding a
// format is one package and one line here.
package all

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/binary"
	"github.com/hullsecrets/hull/formats/dotenv"
	"github.com/hullsecrets/hull/formats/ini"
	"github.com/hullsecrets/hull/formats/json"
	"github.com/hullsecrets/hull/formats/yaml"
)

// Registry returns a new registry holding every format.
func Registry() *formats.Registry {
	r := formats.NewRegistry()
	r.Register(yaml.New())
	r.Register(json.New())
	r.Register(dotenv.New())
	r.Register(ini.New())
	r.Register(binary.New())
	return r
}

var (
	sniffINI    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^\[sops\]\s*$`) })
	sniffDotenv = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^sops_mac=`) })
	sniffYAML   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^sops:\s*$`) })
)

// Sniff guesses the format of an encrypted file from the markers of its
// metadata, for a file whose name says nothing (git's temporary copies of
// merged files have no extension). Anything else is binary.
func Sniff(data []byte) formats.Format {
	reg := Registry()
	pick := func(name string) formats.Format {
		f, _ := reg.ByName(name)
		return f
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		// sops writes a binary file as JSON with the one key "data".
		if f, err := pick("json").Parse(data, formats.ParseOptions{Encrypted: true}); err == nil &&
			len(f.Docs) == 1 && len(f.Docs[0].Children) == 1 && f.Docs[0].Get("data") != nil {
			return pick("binary")
		}
		return pick("json")
	case sniffINI().Match(data):
		return pick("ini")
	case sniffDotenv().Match(data):
		return pick("dotenv")
	case sniffYAML().Match(data):
		return pick("yaml")
	}
	return pick("binary")
}

// Formats chooses the formats of a file named name ("" for stdin without a
// name): the input format is inputType, else the name's, else binary
// (guessed: nothing said it); the output format is outputType, else the
// name's (as sops: also when inputType is given), else, for a name
// without a known extension and an explicit inputType, the input format
// (sops would write binary there and fail). A type that names no format
// is an error of ErrInputType or ErrOutputType.
func Formats(name, inputType, outputType string) (in, out formats.Format, guessed bool, err error) {
	reg := Registry()
	if inputType != "" {
		if in, err = reg.ByName(inputType); err != nil {
			return nil, nil, false, fmt.Errorf("%w: %w", ErrInputType, err)
		}
	} else {
		var known bool
		in, known = reg.ForPath(name, "binary")
		guessed = !known && in.Name() == "binary"
	}
	if outputType != "" {
		if out, err = reg.ByName(outputType); err != nil {
			return nil, nil, false, fmt.Errorf("%w: %w", ErrOutputType, err)
		}
	} else if byName, ok := reg.ForPath(name, "binary"); ok || inputType == "" {
		out = byName
	} else {
		out = in
	}
	return in, out, guessed, nil
}

// Errors of Formats, named as the flags.
var (
	ErrInputType  = errors.New("--input-type")
	ErrOutputType = errors.New("--output-type")
)

// Detect is the format of a file read whole, when no output type is
// asked for (git's drivers): inputType when given (an error of ByName
// otherwise), else the format of name's extension, else Sniff's guess from
// data.
func Detect(name, inputType string, data []byte) (formats.Format, error) {
	reg := Registry()
	if inputType != "" {
		return reg.ByName(inputType)
	}
	if f, ok := reg.ForPath(name, "binary"); ok {
		return f, nil
	}
	return Sniff(data), nil
}
