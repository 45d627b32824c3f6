// Package all is the table of every file format hull knows. Adding a
// format is one package and one line here.
package all

import (
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
