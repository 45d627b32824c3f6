// Package keysourcetest is the conformance suite every key source runs from
// its own tests:
//
//	func TestConformance(t *testing.T) {
//		keysourcetest.Run(t, keysourcetest.Fixture{
//			Recipient: r, Identity: id, Other: otherID,
//			Parse:   age.ParseRecipients,
//			Secrets: []string{"AGE-SECRET-KEY-1…"},
//		})
//	}
//
// Run checks the contract of package keysources: a wrap→unwrap round trip
// for data keys and 33-byte Shamir parts, ErrIncorrectIdentity for a stanza
// of another identity or another key type, no partial key with any error,
// that Recipient.Type matches the stanza type, that Parse(String()) gives
// the same recipient, and that no String, %v or error text shows a secret.
//
// # Adding a check
//
// Write it as a func(t *testing.T, f Fixture) in suite.go and add it to the
// checks table with a short name; Run calls every entry as a subtest. A
// check must work for every key source: use only the keysources interfaces
// and the Fixture, and skip (t.Skip) when an optional Fixture field it needs
// is nil. If a check cannot hold for some source, make the exception a
// Fixture field, never a type switch on the source.
package keysourcetest
