package audit

import "sync"

// Tracker follows the operation each worker is in, so that a decryption
// deep in a command finds the operation its access record belongs to. A
// program that runs operations concurrently (the bulk commands) keys them
// by worker. The zero Tracker is ready for use.
type Tracker struct{ ops sync.Map }

// Enter makes op the operation of key until leave is called, which puts
// back the operation key was in before (operations nest).
func (t *Tracker) Enter(key any, op *Op) (leave func()) {
	prev, had := t.ops.Swap(key, op)
	return func() {
		if had {
			t.ops.Store(key, prev)
		} else {
			t.ops.Delete(key)
		}
	}
}

// Current is the operation key is in; outside any, a new operation named
// name on no file yet (a decryption outside the audited operations).
func (t *Tracker) Current(key any, name string) *Op {
	if v, ok := t.ops.Load(key); ok {
		return v.(*Op)
	}
	return NewOp(name, "")
}
