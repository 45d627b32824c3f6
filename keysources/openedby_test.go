package keysources_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/hullsecrets/hull/keysources"
)

// WithOpenedBy reports, for each recovered group, the stanza that
// unwrapped it, also when Recover then fails for want of groups.
func TestWithOpenedBy(t *testing.T) {
	key := newKey(t)
	groups, th, p := wrap3(t, key, 2)
	var got []string
	ctx := keysources.WithOpenedBy(context.Background(), func(g int, typ, id string) {
		got = append(got, string(rune('0'+g))+" "+typ+":"+id)
	})
	if _, err := keysources.Recover(ctx, groups, th, []keysources.Identity{p[2].id, p[0].id}, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"0 age:" + p[0].r.String(), "2 age:" + p[2].r.String()}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("opened by %q, want %q", got, want)
	}

	got = nil
	if _, err := keysources.Recover(ctx, groups, th, []keysources.Identity{p[1].id}, nil); err == nil {
		t.Fatal("one of three groups with threshold 2 recovered the key")
	}
	if want := []string{"1 age:" + p[1].r.String()}; !reflect.DeepEqual(got, want) {
		t.Fatalf("failed recover: opened by %q, want %q", got, want)
	}

	// Without the hook nothing changes; a stranger opens nothing.
	got = nil
	stranger := newPair(t)
	if _, err := keysources.Recover(ctx, groups, th, []keysources.Identity{stranger.id}, nil); err == nil || got != nil {
		t.Fatalf("stranger: %v, opened by %q", err, got)
	}
}
