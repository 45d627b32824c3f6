package keysources

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/hullsecrets/hull/keysources/shamir"
	"github.com/hullsecrets/hull/metadata"
)

// DataKeySize is the size of a SOPS data key (AES-256).
const DataKeySize = 32

// DefaultOrder is the order in which key types are tried within a group
// when no --decryption-order is given, as in sops.
var DefaultOrder = []string{"age", "pgp"}

// TypedIdentity is an Identity that unwraps stanzas of one key type only.
// Recover uses it to skip identities that cannot help and to tell "no
// identity for this key type" from "not a recipient". Identities without it
// are tried on every stanza.
type TypedIdentity interface {
	Identity
	Type() string
}

// DataKey returns a new random data key read from rand (crypto/rand when
// rand is nil).
func DataKey(rand io.Reader) ([]byte, error) {
	key := make([]byte, DataKeySize)
	if _, err := io.ReadFull(orDefault(rand), key); err != nil {
		return nil, fmt.Errorf("generating the data key: %v", err)
	}
	return key, nil
}

func orDefault(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// WrapGroups wraps dataKey for key groups of recipients. With one group,
// every recipient wraps the whole key and the returned threshold is 0 (the
// threshold argument is ignored). With more, the key is split with Shamir's
// scheme (rand supplies the coefficients; crypto/rand when nil) into one
// part per group, any threshold of which recover it (0 means all groups),
// and every recipient of group i wraps part i; the threshold used is
// returned, to be stored as shamir_threshold.
func WrapGroups(dataKey []byte, groups [][]Recipient, threshold int, rand io.Reader) ([][]metadata.Stanza, int, error) {
	if len(groups) == 0 {
		return nil, 0, errors.New("no key groups provided: give at least one recipient")
	}
	for i, g := range groups {
		if len(g) == 0 {
			return nil, 0, fmt.Errorf("empty key group provided: key group %d has no recipients", i+1)
		}
	}
	parts := [][]byte{dataKey}
	if len(groups) == 1 {
		threshold = 0
	} else {
		if threshold == 0 {
			threshold = len(groups)
		}
		switch {
		case threshold < 2:
			return nil, 0, fmt.Errorf("shamir threshold %d is too small: with %d key groups it must be between 2 and %d", threshold, len(groups), len(groups))
		case threshold > len(groups):
			return nil, 0, fmt.Errorf("shamir threshold %d is more than the %d key groups", threshold, len(groups))
		}
		var err error
		parts, err = shamir.SplitFrom(orDefault(rand), dataKey, len(groups), threshold)
		if err != nil {
			return nil, 0, fmt.Errorf("splitting the data key: %v", err)
		}
		defer func() {
			for _, p := range parts {
				clear(p)
			}
		}()
	}
	out := make([][]metadata.Stanza, len(groups))
	for i, g := range groups {
		for _, r := range g {
			s, err := r.Wrap(parts[i])
			if err != nil {
				if len(groups) > 1 {
					err = fmt.Errorf("key group %d: %w", i+1, err)
				}
				return nil, 0, err
			}
			out[i] = append(out[i], s)
		}
	}
	return out, threshold, nil
}

// ErrNoKey is wrapped by every error of Recover that means the data key
// could not be recovered with the identities at hand.
var ErrNoKey = errors.New("could not recover the data key")

// Reasons a stanza was not unwrapped, in StanzaReport.Reason.
const (
	// ReasonNoIdentity: no identity handles this key type.
	ReasonNoIdentity = "no identity for this key type"
	// ReasonNotRecipient: every identity returned ErrIncorrectIdentity.
	ReasonNotRecipient = "not a recipient"
)

// StanzaReport is the outcome of one stanza in a RecoverError.
type StanzaReport struct {
	Type string // the key type
	ID   string // metadata.StanzaID: recipient, fingerprint, ARN…
	// Reason is ReasonNoIdentity, ReasonNotRecipient, the text of the
	// errors the identities returned, or "" for the stanza that worked.
	Reason string
	// Errs are the errors other than ErrIncorrectIdentity.
	Errs []error
}

// GroupReport is the outcome of one key group in a RecoverError.
type GroupReport struct {
	Recovered bool
	Stanzas   []StanzaReport // in the order they were tried
}

// RecoverError reports why Recover failed: every group and every stanza
// tried, with the reason. It never holds key material.
type RecoverError struct {
	Groups []GroupReport
	// Needed is the number of groups needed; Recovered how many worked.
	Needed, Recovered int
}

// NoneTried reports whether no identity could try any stanza (no identity
// for any of the file's key types), as opposed to identities that tried
// and were not recipients.
func (e *RecoverError) NoneTried() bool {
	for _, g := range e.Groups {
		for _, s := range g.Stanzas {
			if s.Reason != ReasonNoIdentity {
				return false
			}
		}
	}
	return true
}

// Error is a multi-line report, one line per group and per stanza.
func (e *RecoverError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNoKey.Error())
	for i, g := range e.Groups {
		state := "failed"
		if g.Recovered {
			state = "recovered"
		}
		if len(e.Groups) > 1 {
			fmt.Fprintf(&b, "\ngroup %d of %d: %s", i+1, len(e.Groups), state)
		} else {
			fmt.Fprintf(&b, "\nkey group: %s", state)
		}
		if len(g.Stanzas) == 0 {
			b.WriteString("\n  (the group has no keys)")
		}
		for _, s := range g.Stanzas {
			reason := s.Reason
			if reason == "" {
				reason = "ok"
			}
			reason = strings.ReplaceAll(reason, "\n", "\n    ")
			fmt.Fprintf(&b, "\n  %s %s: %s", s.Type, s.ID, reason)
		}
	}
	if len(e.Groups) > 1 {
		fmt.Fprintf(&b, "\n%d of %d key groups recovered, %d needed", e.Recovered, len(e.Groups), e.Needed)
	}
	return b.String()
}

// Unwrap returns ErrNoKey and the errors identities returned (not
// ErrIncorrectIdentity), so errors.Is finds a cancelled context or a
// service's error.
func (e *RecoverError) Unwrap() []error {
	errs := []error{ErrNoKey}
	for _, g := range e.Groups {
		for _, s := range g.Stanzas {
			errs = append(errs, s.Errs...)
		}
	}
	return errs
}

// Recover unwraps the data key from its key groups with ids. In each group
// (groups are tried concurrently, so Unwrap must be safe for concurrent
// use) stanzas are tried in the order of their types in order (DefaultOrder
// when empty; types not listed come after, in file order), each against
// every identity, and the first key unwrapped wins. Local identities (not
// a RemoteIdentity) are tried first, one after another (those that may ask
// the user, an InteractiveIdentity, after the others); only when none
// works are the remote ones (key services, gpg) tried, concurrently, the
// first success in that order winning (see recoverGroup). One group gives the key;
// with more, at least threshold parts (0: all groups) are needed and all
// recovered parts are combined, as sops does. The key must be 32 bytes.
//
// When the key cannot be recovered the error is a *RecoverError, which
// wraps ErrNoKey.
func Recover(ctx context.Context, groups [][]metadata.Stanza, threshold int, ids []Identity, order []string) ([]byte, error) {
	if len(order) == 0 {
		order = DefaultOrder
	}
	rank := map[string]int{}
	for i, t := range order {
		if _, dup := rank[t]; dup {
			return nil, fmt.Errorf("duplicate key type %q in the decryption order", t)
		}
		rank[t] = i
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: the file has no key groups", ErrNoKey)
	}
	needed := 1
	if len(groups) > 1 {
		needed = threshold
		if needed <= 0 {
			needed = len(groups)
		}
		if needed < 2 {
			needed = 2 // Shamir needs two parts
		}
	}

	keys := make([][]byte, len(groups))
	reports := make([]GroupReport, len(groups))
	if len(groups) == 1 {
		// One group (the common case) on this goroutine: starting another
		// makes the runtime start a thread, which costs a small decrypt
		// more than the unwrap.
		keys[0], reports[0] = recoverGroup(ctx, groups[0], ids, rank, len(order))
	} else {
		var wg sync.WaitGroup
		for i := range groups {
			wg.Go(func() {
				keys[i], reports[i] = recoverGroup(ctx, groups[i], ids, rank, len(order))
			})
		}
		wg.Wait()
	}
	reportOpenedBy(ctx, reports)

	var parts [][]byte
	for _, k := range keys {
		if k != nil {
			parts = append(parts, k)
		}
	}
	defer func() {
		for _, p := range parts {
			clear(p)
		}
	}()
	if len(parts) < needed {
		return nil, &RecoverError{Groups: reports, Needed: needed, Recovered: len(parts)}
	}
	if len(groups) == 1 {
		key := parts[0]
		parts = nil
		if len(key) != DataKeySize {
			clear(key)
			return nil, fmt.Errorf("%w: the unwrapped data key is %d bytes, not %d", ErrNoKey, len(key), DataKeySize)
		}
		return key, nil
	}
	key, err := shamir.Combine(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: combining the key groups' parts: %v", ErrNoKey, err)
	}
	if len(key) != DataKeySize {
		clear(key)
		return nil, fmt.Errorf("%w: the combined data key is %d bytes, not %d", ErrNoKey, len(key), DataKeySize)
	}
	return key, nil
}

// RemoteIdentity is implemented by identities that are not local and
// instant: they call a network service (a cloud key service, Vault) or
// another program (gpg, which may ask for a passphrase). Recover tries the
// identities without it (or whose Remote returns false) first, one after
// another, and the remote ones only when those fail, concurrently.
type RemoteIdentity interface {
	Identity
	Remote() bool
}

// InteractiveIdentity is implemented by local identities that may ask the
// user something (an age plugin that wants a PIN or a touch, a
// passphrase-protected key). Recover tries them after the other local
// identities, on every stanza, so that a key at hand is used without
// asking.
type InteractiveIdentity interface {
	Identity
	Interactive() bool
}

func isInteractive(id Identity) bool {
	i, ok := id.(InteractiveIdentity)
	return ok && i.Interactive()
}

// ContextIdentity is an Identity whose unwrapping can be cancelled: Recover
// cancels the remote unwraps it no longer needs.
type ContextIdentity interface {
	Identity
	UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error)
}

// ReasonSkipped: the stanza's remote identities were not tried because a
// local identity unwrapped a stanza of the group.
const ReasonSkipped = "not tried: a local key of the group was used"

func isRemote(id Identity) bool {
	r, ok := id.(RemoteIdentity)
	return ok && r.Remote()
}

func unwrapWith(ctx context.Context, id Identity, s metadata.Stanza) ([]byte, error) {
	if c, ok := id.(ContextIdentity); ok {
		return c.UnwrapContext(ctx, s)
	}
	return id.Unwrap(s)
}

// attempt is the outcome of one identity on one stanza.
type attempt struct {
	tried   bool
	skipped bool // applicable but not tried: remote, after a local success
	err     error
}

// recoverGroup unwraps one group's part. The stanzas are sorted by rank.
// The local identities are tried on them in that order, one after
// another, and the first key wins. When none works, every remote (stanza,
// identity) pair is tried concurrently: the winner is the first success in
// (stanza, identity) order, chosen as soon as every pair before it has
// failed; the pairs still running are cancelled and not waited for (a key
// they return later is cleared). The report lists the stanzas in order up
// to the one that worked, from the pairs before the winner only, so it
// does not depend on timing.
func recoverGroup(ctx context.Context, group []metadata.Stanza, ids []Identity, rank map[string]int, unlisted int) ([]byte, GroupReport) {
	stanzas := append([]metadata.Stanza(nil), group...)
	r := func(t string) int {
		if i, ok := rank[t]; ok {
			return i
		}
		return unlisted
	}
	sort.SliceStable(stanzas, func(i, j int) bool { return r(stanzas[i].Type) < r(stanzas[j].Type) })
	applies := func(id Identity, s metadata.Stanza) bool {
		t, ok := id.(TypedIdentity)
		return !ok || t.Type() == s.Type
	}
	res := make([][]attempt, len(stanzas))
	for i := range res {
		res[i] = make([]attempt, len(ids))
	}
	ctxErrs := make([]error, len(stanzas))

	// The local identities, one after another: first those at hand on
	// every stanza, then those that may ask the user.
	for _, asking := range []bool{false, true} {
		for i, s := range stanzas {
			if err := ctx.Err(); err != nil {
				ctxErrs[i] = err
				continue
			}
			for k, id := range ids {
				if !applies(id, s) || isRemote(id) || isInteractive(id) != asking {
					continue
				}
				key, err := unwrapWith(ctx, id, s)
				res[i][k] = attempt{tried: true, err: err}
				if err == nil {
					for i2 := range i + 1 {
						for k2, id2 := range ids {
							if !res[i2][k2].tried && applies(id2, stanzas[i2]) && isRemote(id2) {
								res[i2][k2].skipped = true
							}
						}
					}
					return key, groupReport(stanzas, res, ctxErrs, i, k)
				}
			}
		}
	}

	// The remote ones, concurrently.
	type job struct{ i, k int }
	var jobs []job
	for i, s := range stanzas {
		if ctxErrs[i] != nil {
			continue
		}
		for k, id := range ids {
			if applies(id, s) && isRemote(id) {
				jobs = append(jobs, job{i, k})
			}
		}
	}
	if len(jobs) == 0 {
		return nil, groupReport(stanzas, res, ctxErrs, -1, -1)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		j   int
		key []byte
		err error
	}
	results := make(chan result, len(jobs)) // never blocks a sender
	var mu sync.Mutex
	finished := false
	for j, jb := range jobs {
		go func() {
			key, err := unwrapWith(cctx, ids[jb.k], stanzas[jb.i])
			mu.Lock()
			defer mu.Unlock()
			if finished {
				clear(key)
				return
			}
			results <- result{j, key, err}
		}()
	}
	done := make([]bool, len(jobs))
	ok := make([]bool, len(jobs))
	keys := make([][]byte, len(jobs))
	winner := -1
	for n := 0; n < len(jobs) && winner < 0; n++ {
		rr := <-results
		jb := jobs[rr.j]
		done[rr.j] = true
		res[jb.i][jb.k] = attempt{tried: true, err: rr.err}
		if rr.err == nil {
			ok[rr.j], keys[rr.j] = true, rr.key
		}
		for j := range jobs {
			if !done[j] {
				break
			}
			if ok[j] {
				winner = j
				break
			}
		}
	}
	mu.Lock()
	finished = true
	mu.Unlock()
	cancel()
	for drained := false; !drained; {
		select {
		case rr := <-results:
			clear(rr.key)
		default:
			drained = true
		}
	}
	for j, k := range keys {
		if j != winner {
			clear(k)
		}
	}
	if winner < 0 {
		return nil, groupReport(stanzas, res, ctxErrs, -1, -1)
	}
	return keys[winner], groupReport(stanzas, res, ctxErrs, jobs[winner].i, jobs[winner].k)
}

// groupReport is the report of a group from the attempts: every stanza up
// to the one that worked (wi, with identity wk; -1 when none did), and for
// that one only the identities before wk.
func groupReport(stanzas []metadata.Stanza, res [][]attempt, ctxErrs []error, wi, wk int) GroupReport {
	var rep GroupReport
	last := len(stanzas) - 1
	if wi >= 0 {
		last, rep.Recovered = wi, true
	}
	for i := 0; i <= last; i++ {
		s := stanzas[i]
		sr := StanzaReport{Type: s.Type, ID: metadata.StanzaID(s)}
		if err := ctxErrs[i]; err != nil {
			sr.Reason, sr.Errs = err.Error(), []error{err}
			rep.Stanzas = append(rep.Stanzas, sr)
			continue
		}
		tried, skipped := 0, false
		for k, a := range res[i] {
			if i == wi && k >= wk {
				break
			}
			skipped = skipped || a.skipped
			if !a.tried {
				continue
			}
			tried++
			if !errors.Is(a.err, ErrIncorrectIdentity) {
				sr.Errs = append(sr.Errs, a.err)
			}
		}
		switch {
		case i == wi:
			// worked: Reason stays ""
		case len(sr.Errs) > 0:
			texts := make([]string, len(sr.Errs))
			for n, err := range sr.Errs {
				texts[n] = err.Error()
			}
			sr.Reason = strings.Join(texts, "; ")
		case skipped:
			sr.Reason = ReasonSkipped
		case tried == 0:
			sr.Reason = ReasonNoIdentity
		default:
			sr.Reason = ReasonNotRecipient
		}
		rep.Stanzas = append(rep.Stanzas, sr)
	}
	return rep
}

type openedByKey struct{}

// WithOpenedBy returns a context that makes Recover call f once for every
// key group whose part of the data key was unwrapped, with the group's
// index and the stanza that unwrapped it: its type and metadata.StanzaID
// (an age recipient, a PGP fingerprint, a KMS ARN…). f is called after all
// groups were tried, from the goroutine that called Recover, also when
// Recover then fails (too few groups). It never sees key material. An
// audit log uses it to record which key opened a file.
//
// A callback already in ctx is kept: both are called, the earlier first.
func WithOpenedBy(ctx context.Context, f func(group int, keyType, id string)) context.Context {
	if prev, ok := ctx.Value(openedByKey{}).(func(int, string, string)); ok && prev != nil {
		g := f
		f = func(group int, keyType, id string) {
			prev(group, keyType, id)
			g(group, keyType, id)
		}
	}
	return context.WithValue(ctx, openedByKey{}, f)
}

func reportOpenedBy(ctx context.Context, reports []GroupReport) {
	f, ok := ctx.Value(openedByKey{}).(func(int, string, string))
	if !ok || f == nil {
		return
	}
	for i, g := range reports {
		if g.Recovered && len(g.Stanzas) > 0 {
			s := g.Stanzas[len(g.Stanzas)-1] // the stanza that worked is the last one tried
			f(i, s.Type, s.ID)
		}
	}
}
