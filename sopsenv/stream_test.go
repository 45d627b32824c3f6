package sopsenv

import (
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/dotenv"
	"github.com/hullsecrets/hull/formats/json"
	"github.com/hullsecrets/hull/formats/yaml"
)

func TestCheckStream(t *testing.T) {
	y, j, d := yaml.New(), json.New(), dotenv.New()
	if err := CheckStream([]StreamFile{{Display: "a.yaml", Format: y}, {Display: "b.json", Format: j}, {Display: "stdin", Format: y, Stdin: true, TypeGiven: true}}); err != nil {
		t.Errorf("YAML, JSON and stdin: %v", err)
	}
	for want, files := range map[string][]StreamFile{
		"stdin can be given only once":                 {{Format: y, Stdin: true}, {Format: y, Stdin: true}},
		"c.env is a dotenv file":                       {{Display: "a.yaml", Format: y}, {Display: "c.env", Format: d}},
		"stdin among several files: give --input-type": {{Display: "a.yaml", Format: y}, {Display: "stdin", Format: d, Stdin: true}},
	} {
		if err := CheckStream(files); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}

func TestStream(t *testing.T) {
	docs := map[int]string{0: "a: 1\n---\nb: 2\n", 1: `{"c": 3}`}
	files := []StreamFile{{Display: "a.yaml", Format: yaml.New()}, {Display: "c.json", Format: json.New()}}
	open := func(i int) (*formats.File, error) {
		return files[i].Format.Parse([]byte(docs[i]), formats.ParseOptions{})
	}
	out, err := Stream(files, open, formats.EmitOptions{})
	if err != nil || string(out) != "a: 1\n---\nb: 2\n---\nc: 3\n" {
		t.Fatalf("Stream = %q, %v", out, err)
	}
	failed := errors.New("no key")
	opened := 0
	_, err = Stream(files, func(i int) (*formats.File, error) {
		opened++
		if i == 1 {
			return nil, failed
		}
		return open(i)
	}, formats.EmitOptions{})
	if !errors.Is(err, failed) || err.Error() != "c.json: no key" || opened != 2 {
		t.Errorf("a file fails: %v", err)
	}
}
