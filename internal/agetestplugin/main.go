// Command agetestplugin is a small age plugin for hull's tests, installed by
// them as age-plugin-hulltest. It speaks the real age plugin protocol
// (filippo.io/age/plugin) and is a real key: a recipient age1hulltest1…
// holds an X25519 public key, an identity AGE-PLUGIN-HULLTEST-1… the
// matching private key, optionally followed by a PIN that the plugin asks
// the user for (through the age client, which asks on its terminal) before
// it returns the file key: "confirm" asks for a yes instead, and
// "public:VALUE" asks for VALUE with echo. The file key is wrapped as an X25519 stanza renamed
// "hulltest", so only this plugin can open it.
//
//	age-plugin-hulltest --generate [--pin PIN]
//
// prints a new identity and its recipient, one per line.
package main

import (
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

const name = "hulltest"

// stanzaType is the type of the stanzas this plugin writes.
const stanzaType = "hulltest"

func main() {
	p, err := plugin.New(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fs := flag.NewFlagSet("age-plugin-"+name, flag.ExitOnError)
	generate := fs.Bool("generate", false, "print a new identity and its recipient")
	pin := fs.String("pin", "", "with --generate: the PIN the identity asks for")
	p.RegisterFlags(fs)
	fs.Parse(os.Args[1:])
	if *generate {
		if err := gen(*pin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	p.HandleRecipient(func(data []byte) (age.Recipient, error) {
		r, err := age.ParseX25519Recipient(string(data))
		if err != nil {
			return nil, errors.New("malformed hulltest recipient")
		}
		return &recipient{r}, nil
	})
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		key, pin, _ := strings.Cut(string(data), "\x00")
		id, err := age.ParseX25519Identity(key)
		if err != nil {
			return nil, errors.New("malformed hulltest identity")
		}
		return &identity{p: p, id: id, pin: pin}, nil
	})
	os.Exit(p.Main())
}

// gen prints a new identity and its recipient. The plugin's data are the
// native age encodings of an X25519 key (and "\x00" and the PIN), so that
// the plugin can reuse age's X25519 implementation.
func gen(pin string) error {
	k, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	data := k.String()
	if pin != "" {
		data += "\x00" + pin
	}
	fmt.Println(plugin.EncodeIdentity(name, []byte(data)))
	fmt.Println(plugin.EncodeRecipient(name, []byte(k.Recipient().String())))
	return nil
}

type recipient struct{ r *age.X25519Recipient }

func (r *recipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	ss, err := r.r.Wrap(fileKey)
	if err != nil {
		return nil, err
	}
	for _, s := range ss {
		s.Type = stanzaType
	}
	return ss, nil
}

type identity struct {
	p   *plugin.Plugin
	id  *age.X25519Identity
	pin string
}

func (i *identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	var ours []*age.Stanza
	for _, s := range stanzas {
		if s.Type == stanzaType {
			c := *s
			c.Type = "X25519"
			ours = append(ours, &c)
		}
	}
	if len(ours) == 0 {
		return nil, age.ErrIncorrectIdentity
	}
	key, err := i.id.Unwrap(ours)
	if err != nil {
		return nil, err // not ours: ErrIncorrectIdentity, and no PIN asked
	}
	switch {
	case i.pin == "confirm":
		// Like a key that wants a touch or a yes.
		yes, err := i.p.Confirm("Use the hulltest key?", "yes", "no")
		if err != nil {
			return nil, errors.New("a confirmation is needed and the client could not ask for it")
		}
		if !yes {
			return nil, errors.New("declined")
		}
	case strings.HasPrefix(i.pin, "public:"):
		// A value that is not secret, such as a serial number.
		got, err := i.p.RequestValue("Enter the hulltest serial:", false)
		if err != nil {
			return nil, errors.New("the serial is needed and the client could not ask for it")
		}
		if got != strings.TrimPrefix(i.pin, "public:") {
			return nil, errors.New("wrong serial")
		}
	case i.pin != "":
		got, err := i.p.RequestValue("Enter the hulltest PIN:", true)
		if err != nil {
			return nil, errors.New("the PIN is needed and the client could not ask for it")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(i.pin)) != 1 {
			return nil, errors.New("incorrect PIN")
		}
	}
	// A message, as hardware plugins show "touch your key"; the client may
	// not be able to show it, which is no reason to fail.
	i.p.DisplayMessage("unwrapping with the hulltest key")
	return key, nil
}
