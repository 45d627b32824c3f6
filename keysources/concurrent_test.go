package keysources_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/shamir"
	"github.com/hullsecrets/hull/metadata"
)

// outcome is what a sleepyIdentity does for one stanza: wait, then return
// key (when set) or err (ErrIncorrectIdentity when neither is).
type outcome struct {
	delay time.Duration
	key   []byte
	err   error
}

// sleepyIdentity unwraps stanzas of one type, found by metadata.StanzaID,
// after a delay; remote ones honour the context. It counts its calls,
// the calls running at once and the cancelled ones.
type sleepyIdentity struct {
	typ      string
	remote   bool
	outcomes map[string]outcome

	calls, running, maxRunning, cancelled atomic.Int32
	mu                                    sync.Mutex
	cancelledIDs                          []string
}

func (f *sleepyIdentity) Type() string { return f.typ }
func (f *sleepyIdentity) Remote() bool { return f.remote }

func (f *sleepyIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	return f.UnwrapContext(context.Background(), s)
}

func (f *sleepyIdentity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	if s.Type != f.typ {
		return nil, keysources.ErrIncorrectIdentity
	}
	f.calls.Add(1)
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		m := f.maxRunning.Load()
		if n <= m || f.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	o := f.outcomes[metadata.StanzaID(s)]
	select {
	case <-time.After(o.delay):
	case <-ctx.Done():
		f.cancelled.Add(1)
		f.mu.Lock()
		f.cancelledIDs = append(f.cancelledIDs, metadata.StanzaID(s))
		f.mu.Unlock()
		return nil, fmt.Errorf("%s key %s: %w", f.typ, metadata.StanzaID(s), ctx.Err())
	}
	switch {
	case o.key != nil:
		return bytes.Clone(o.key), nil
	case o.err != nil:
		return nil, o.err
	}
	return nil, keysources.ErrIncorrectIdentity
}

func kmsStanza(arn string) metadata.Stanza { return metadata.NewStanza("kms", "arn", arn, "enc", "x") }

func key32(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// TestRemoteConcurrent: the remote stanzas of a group are tried at once;
// when all fail the report lists them in order, whatever their timing.
func TestRemoteConcurrent(t *testing.T) {
	const delay = 400 * time.Millisecond
	kms := &sleepyIdentity{typ: "kms", remote: true, outcomes: map[string]outcome{}}
	var group []metadata.Stanza
	var want strings.Builder
	want.WriteString("could not recover the data key\nkey group: failed")
	for i := range 4 {
		arn := fmt.Sprintf("arn:%d", i)
		group = append(group, kmsStanza(arn))
		// The later stanzas answer first: the report must not follow.
		kms.outcomes[arn] = outcome{delay: delay - time.Duration(i)*50*time.Millisecond, err: fmt.Errorf("kms key %s: access denied", arn)}
		fmt.Fprintf(&want, "\n  kms %s: kms key %s: access denied", arn, arn)
	}
	start := time.Now()
	_, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, []keysources.Identity{kms}, nil)
	elapsed := time.Since(start)
	if err == nil || err.Error() != want.String() {
		t.Fatalf("report:\n%v\nwant:\n%s", err, want.String())
	}
	// One after another would take 4×(~325ms) ≈ 1.3s.
	if elapsed > 1100*time.Millisecond {
		t.Errorf("4 remote stanzas of %v took %v: not concurrent", delay, elapsed)
	}
	if m := kms.maxRunning.Load(); m < 2 {
		t.Errorf("at most %d unwraps ran at once", m)
	}
}

// TestRemoteOrderWins: among remote successes the first in decryption
// order wins, even when a later one answers first; the rest is cancelled.
func TestRemoteOrderWins(t *testing.T) {
	for range 5 {
		kms := &sleepyIdentity{typ: "kms", remote: true, outcomes: map[string]outcome{
			"arn:slow-fail": {delay: 150 * time.Millisecond, err: errors.New("kms key arn:slow-fail: throttled")},
			"arn:slow-ok":   {delay: 250 * time.Millisecond, key: key32(1)},
			"arn:fast-ok":   {delay: 5 * time.Millisecond, key: key32(2)},
			"arn:hang":      {delay: time.Minute, key: key32(3)},
		}}
		group := []metadata.Stanza{kmsStanza("arn:slow-fail"), kmsStanza("arn:slow-ok"), kmsStanza("arn:fast-ok"), kmsStanza("arn:hang")}
		var opened []string
		ctx := keysources.WithOpenedBy(context.Background(), func(g int, typ, id string) { opened = append(opened, typ+" "+id) })
		start := time.Now()
		key, err := keysources.Recover(ctx, [][]metadata.Stanza{group}, 0, []keysources.Identity{kms}, nil)
		if err != nil || !bytes.Equal(key, key32(1)) {
			t.Fatalf("Recover = %x, %v; want the key of arn:slow-ok", key, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Recover took %v: it waited for the hanging stanza", d)
		}
		if len(opened) != 1 || opened[0] != "kms arn:slow-ok" {
			t.Errorf("opened by %q", opened)
		}
		// The hanging call is cancelled.
		deadline := time.Now().Add(5 * time.Second)
		for kms.cancelled.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		kms.mu.Lock()
		if len(kms.cancelledIDs) != 1 || kms.cancelledIDs[0] != "arn:hang" {
			t.Errorf("cancelled %q, want arn:hang", kms.cancelledIDs)
		}
		kms.mu.Unlock()
	}
}

// TestRemoteReportDeterministic: a failing remote group's report is the same
// on every run, listing every stanza with its error in order.
func TestRemoteReportDeterministic(t *testing.T) {
	kms := &sleepyIdentity{typ: "kms", remote: true, outcomes: map[string]outcome{
		"arn:a": {delay: 60 * time.Millisecond, err: errors.New("kms key arn:a: service unreachable")},
		"arn:b": {delay: 1 * time.Millisecond, err: errors.New("kms key arn:b: key not found")},
		"arn:c": {delay: 30 * time.Millisecond},
	}}
	vault := &sleepyIdentity{typ: "hc_vault", remote: true, outcomes: map[string]outcome{}}
	group := []metadata.Stanza{kmsStanza("arn:a"), kmsStanza("arn:b"), kmsStanza("arn:c"),
		metadata.NewStanza("age", "recipient", "age1x", "enc", "x")}
	age := &sleepyIdentity{typ: "age", outcomes: map[string]outcome{}}
	want := "could not recover the data key\nkey group: failed\n" +
		"  age age1x: not a recipient\n" +
		"  kms arn:a: kms key arn:a: service unreachable\n" +
		"  kms arn:b: kms key arn:b: key not found\n" +
		"  kms arn:c: not a recipient"
	for range 10 {
		_, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, []keysources.Identity{vault, kms, age}, nil)
		if err == nil || err.Error() != want {
			t.Fatalf("report:\n%v\nwant:\n%s", err, want)
		}
	}
}

// TestLocalFirst: a local identity is used before any remote one, even
// when the decryption order puts the remote type first; the remote
// stanzas are reported as not tried.
func TestLocalFirst(t *testing.T) {
	kms := &sleepyIdentity{typ: "kms", remote: true, outcomes: map[string]outcome{"arn:1": {key: key32(1)}}}
	age := &sleepyIdentity{typ: "age", outcomes: map[string]outcome{"age1ok": {key: key32(2)}}}
	group := []metadata.Stanza{kmsStanza("arn:1"), metadata.NewStanza("age", "recipient", "age1ok", "enc", "x")}
	other := []metadata.Stanza{metadata.NewStanza("age", "recipient", "age1none", "enc", "x")}
	ids := []keysources.Identity{kms, age}
	_, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group, other}, 2, ids, []string{"kms", "age"})
	want := "could not recover the data key\n" +
		"group 1 of 2: recovered\n" +
		"  kms arn:1: " + keysources.ReasonSkipped + "\n" +
		"  age age1ok: ok\n" +
		"group 2 of 2: failed\n" +
		"  age age1none: not a recipient\n" +
		"1 of 2 key groups recovered, 2 needed"
	if err == nil || err.Error() != want {
		t.Fatalf("report:\n%v\nwant:\n%s", err, want)
	}
	if n := kms.calls.Load(); n != 0 {
		t.Errorf("the remote identity was called %d times although a local key worked", n)
	}

	// When no local identity works, the remote ones are tried.
	age.outcomes = map[string]outcome{}
	key, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, ids, nil)
	if err != nil || !bytes.Equal(key, key32(1)) || kms.calls.Load() != 1 {
		t.Errorf("Recover = %x, %v after %d kms calls", key, err, kms.calls.Load())
	}
}

// TestGroupsAndStanzasConcurrent: two groups of two slow remote stanzas
// each (the first failing) take about one delay, not four.
func TestGroupsAndStanzasConcurrent(t *testing.T) {
	const delay = 300 * time.Millisecond
	dataKey := key32(5)
	parts, err := shamir.Split(dataKey, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	kms := &sleepyIdentity{typ: "kms", remote: true, outcomes: map[string]outcome{
		"arn:1a": {delay: delay, err: errors.New("kms key arn:1a: throttled")},
		"arn:1b": {delay: delay, key: parts[0]},
		"arn:2a": {delay: delay, err: errors.New("kms key arn:2a: throttled")},
		"arn:2b": {delay: delay, key: parts[1]},
	}}
	groups := [][]metadata.Stanza{{kmsStanza("arn:1a"), kmsStanza("arn:1b")}, {kmsStanza("arn:2a"), kmsStanza("arn:2b")}}
	start := time.Now()
	key, err := keysources.Recover(context.Background(), groups, 2, []keysources.Identity{kms}, nil)
	elapsed := time.Since(start)
	if err != nil || !bytes.Equal(key, dataKey) {
		t.Fatalf("Recover = %x, %v", key, err)
	}
	if elapsed > 3*delay {
		t.Errorf("two groups of two %v stanzas took %v", delay, elapsed)
	}
	if m := kms.maxRunning.Load(); m < 4 {
		t.Errorf("at most %d unwraps ran at once, want 4", m)
	}
}
