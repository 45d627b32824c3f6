package sopsenv

import (
	"fmt"
	"strings"

	"github.com/hullsecrets/hull/formats"
	yamlfmt "github.com/hullsecrets/hull/formats/yaml"
)

// StreamFile is one file of decrypt's YAML stream: its name in messages,
// its format, and whether it is stdin and the format was given (not
// guessed from a name).
type StreamFile struct {
	Display   string
	Format    formats.Format
	Stdin     bool
	TypeGiven bool
}

// CheckStream refuses, before anything is decrypted, files that cannot be
// decrypted into one YAML stream: stdin twice, and formats other than
// YAML and JSON (dotenv, INI and binary have no place in a YAML stream).
func CheckStream(files []StreamFile) error {
	stdin := false
	for _, f := range files {
		if f.Stdin && stdin {
			return fmt.Errorf("usage: stdin can be given only once")
		}
		stdin = stdin || f.Stdin
		switch name := f.Format.Name(); {
		case name == "yaml" || name == "json":
		case f.Stdin && !f.TypeGiven:
			return fmt.Errorf("stdin among several files: give --input-type yaml or json (it applies to every file)")
		default:
			return fmt.Errorf("%s is a %s file: several files are written as one YAML stream, which can hold YAML and JSON files only; decrypt it on its own", f.Display, name)
		}
	}
	return nil
}

// Stream decrypts several files into one YAML stream, as 'decrypt F1 F2
// …' writes it for 'kubectl apply -f -': open(i) opens file i, which is
// written as YAML with emit, and the documents of each file follow in
// turn, separated by "---" (each keeps its own separators). Nothing is
// returned unless every file opened; the error names the file.
func Stream(files []StreamFile, open func(i int) (*formats.File, error), emit formats.EmitOptions) ([]byte, error) {
	yaml := yamlfmt.New()
	outs := make([][]byte, len(files))
	for i, sf := range files {
		f, err := open(i)
		if err == nil {
			outs[i], err = yaml.Emit(f, emit)
			if err != nil {
				err = fmt.Errorf("%s: %w", sf.Display, err)
			}
		}
		if err != nil {
			if !strings.Contains(err.Error(), sf.Display) {
				err = fmt.Errorf("%s: %w", sf.Display, err)
			}
			return nil, err
		}
	}
	return yamlfmt.Stream(outs), nil
}
