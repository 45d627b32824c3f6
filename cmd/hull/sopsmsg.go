package main

import "github.com/hullsecrets/hull/sopsenv"

// sops's sentences, first in each error line (sopsenv.Message); the
// differential test (difftest_test.go) checks every class it reaches
// against the reference sops.

// sopsSays marks err with the sentence sops prints for it ("" for none:
// sops prints no sentence of its own for this failure).
func sopsSays(sentence string, err error) error { return sopsenv.Says(sentence, err) }

// withSopsSentence is the message of err with sops's sentence first.
func withSopsSentence(err error) string { return sopsenv.Message(err) }
