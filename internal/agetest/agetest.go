// Package agetest helps the tests of passphrase-protected age identities
// in several packages: the identity files age -p writes, and a stand-in for
// the person at the terminal who answers their questions. Only tests
// import it.
package agetest

import (
	"bytes"
	"io"
	"sync"
	"testing"

	agelib "filippo.io/age"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"
)

// Protect returns content encrypted with passphrase as age -p writes it
// (armored: age -p -a), with a small scrypt work factor so that tests run
// fast; identities accept any factor up to age's limit.
func Protect(t testing.TB, passphrase string, content []byte, armored bool) []byte {
	t.Helper()
	r, err := agelib.NewScryptRecipient(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	var buf bytes.Buffer
	var out io.WriteCloser = nopCloser{&buf}
	if armored {
		out = armor.NewWriter(&buf)
	}
	w, err := agelib.Encrypt(out, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Question is one request for a value a User answered.
type Question struct {
	Name   string // the plugin's name; "" for a passphrase hull asks for
	Prompt string
	Secret bool
}

// User stands in for the person at the terminal: it answers every request
// for a value with Answer (or fails with Err) and records the questions.
// It is safe for concurrent use, as key groups are opened concurrently.
type User struct {
	Answer string
	Err    error

	mu        sync.Mutex
	questions []Question
}

// UI is the age plugin UI through which u is asked.
func (u *User) UI() *plugin.ClientUI {
	return &plugin.ClientUI{
		RequestValue: func(name, prompt string, secret bool) (string, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.questions = append(u.questions, Question{name, prompt, secret})
			return u.Answer, u.Err
		},
	}
}

// Questions are the questions u was asked, in order.
func (u *User) Questions() []Question {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Question(nil), u.questions...)
}

// Asked is how many questions u was asked.
func (u *User) Asked() int { return len(u.Questions()) }
