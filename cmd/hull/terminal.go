package main

import (
	"io"

	"github.com/hullsecrets/hull/internal/prompt"
	"github.com/hullsecrets/hull/keysources/age"
)

// ageOptions connect the age key source to the terminal: plugins' messages
// and questions, and the passphrases of protected identities, asked once
// per run.
func (r *runner) ageOptions() age.Options {
	return age.Options{UI: prompt.Terminal{Stdin: r.stdin, Stderr: r.stderr, Keep: true}.ClientUI()}
}

// isTerminal reports whether stdin is a terminal, where a person can
// answer a question.
func isTerminal(in io.Reader) bool { return prompt.IsTerminal(in) }
