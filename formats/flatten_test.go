package formats

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func scalar(key string, t Type, v string) *Node {
	return &Node{Kind: Scalar, Key: key, Type: t, Value: v}
}

func seq(key string, c ...*Node) *Node { return &Node{Kind: Sequence, Key: key, Children: c} }

func mapping(key string, c ...*Node) *Node { return &Node{Kind: Mapping, Key: key, Children: c} }

// sampleMeta has every shape the metadata takes: lists of entries, a nested
// context map, key groups, typed scalars and an empty list.
func sampleMeta() *Node {
	return mapping("sops",
		seq("age", mapping("", NewString("enc", "AGE\nENC\n"), NewString("recipient", "age1xyz"))),
		seq("key_groups",
			mapping("", seq("age"), seq("pgp", mapping("", NewString("fp", "FP")))),
			mapping("", seq("age", mapping("", NewString("recipient", "age1abc"))))),
		seq("kms", mapping("", NewString("arn", "arn:x"), NewString("aws_profile", ""), mapping("context", NewString("a", "v1"), NewString("b", "v2")))),
		NewString("lastmodified", "2024-01-02T03:04:05Z"),
		scalar("mac_only_encrypted", Bool, "True"),
		scalar("shamir_threshold", Int, "2"),
		scalar("nothing", Null, ""),
		NewString("version", "3.13.3"),
	)
}

func TestFlatten(t *testing.T) {
	items, err := Flatten(sampleMeta(), "sops_")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		if it.Kind != Scalar || it.Type != String {
			t.Errorf("%s: not a string scalar", it.Key)
		}
		got = append(got, it.Key+"="+strings.ReplaceAll(it.Value, "\n", `\n`))
	}
	want := []string{
		`sops_age__list_0__map_enc=AGE\nENC\n`,
		"sops_age__list_0__map_recipient=age1xyz",
		"sops_key_groups__list_0__map_pgp__list_0__map_fp=FP",
		"sops_key_groups__list_1__map_age__list_0__map_recipient=age1abc",
		"sops_kms__list_0__map_arn=arn:x",
		"sops_kms__list_0__map_aws_profile=",
		"sops_kms__list_0__map_context__map_a=v1",
		"sops_kms__list_0__map_context__map_b=v2",
		"sops_lastmodified=2024-01-02T03:04:05Z",
		"sops_mac_only_encrypted=true",
		"sops_shamir_threshold=2",
		"sops_version=3.13.3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFlattenRoundTrip(t *testing.T) {
	items, err := Flatten(sampleMeta(), "")
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unflatten(items, "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := Flatten(back, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(items) {
		t.Fatalf("%d items, then %d", len(items), len(again))
	}
	for i := range items {
		if !Equal(items[i], again[i]) {
			t.Errorf("item %d: %s changed", i, items[i].Key)
		}
	}
	// Lists of ten or more elements sort as text but come back in order.
	var l []*Node
	for i := 0; i < 12; i++ {
		l = append(l, NewString("", strings.Repeat("x", i)))
	}
	items, err = Flatten(mapping("", seq("l", l...)), "")
	if err != nil {
		t.Fatal(err)
	}
	back, err = Unflatten(items, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range back.Get("l").Children {
		if c.Value != strings.Repeat("x", i) {
			t.Errorf("element %d out of order", i)
		}
	}
}

func TestFlattenErrors(t *testing.T) {
	for name, meta := range map[string]*Node{
		"separator in key":     mapping("", mapping("a", NewString("b__map_c", "v"))),
		"list separator":       mapping("", NewString("a__list_0", "v")),
		"empty top-level key":  mapping("", NewString("", "v")),
		"ambiguous key ending": mapping("", mapping("a__map", NewString("x", "v"))),
		"duplicate":            mapping("", NewString("a", "1"), NewString("a", "2")),
		"not a mapping":        seq(""),
	} {
		if _, err := Flatten(meta, ""); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestUnflatten(t *testing.T) {
	items := []*Node{
		NewString("sops_version", "3.13.3"),
		NewString("sops_kms__list_1__map_arn", "b"),
		NewString("sops_kms__list_0__map_context__map_z", "z"),
		NewString("sops_kms__list_0__map_arn", "a"),
		NewString("sops_age__list_0__map_enc", "e"),
	}
	n, err := Unflatten(items, "sops_")
	if err != nil {
		t.Fatal(err)
	}
	want := mapping("",
		seq("age", mapping("", NewString("enc", "e"))),
		seq("kms",
			mapping("", NewString("arn", "a"), mapping("context", NewString("z", "z"))),
			mapping("", NewString("arn", "b"))),
		NewString("version", "3.13.3"))
	if !Equal(n, want) {
		t.Errorf("unexpected tree")
	}
}

func TestUnflattenErrors(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"incomplete list", []string{"a__list_1"}, "incomplete list"},
		{"incomplete inner list", []string{"a__list_0__map_b__list_0", "a__list_0__map_b__list_2", "x", "y"}, "incomplete list"},
		{"value and container", []string{"a", "a__map_b"}, "type mismatch"},
		{"container and value", []string{"a__map_b", "a"}, "type mismatch"},
		{"map and list", []string{"a__map_b", "a__list_0"}, "type mismatch"},
		{"duplicate", []string{"a__map_b", "a__map_b"}, "duplicate value"},
		{"bad index", []string{"a__list_x"}, "invalid list index"},
		{"leading zero", []string{"a__list_00"}, "invalid list index"},
		{"negative", []string{"a__list_-1"}, "invalid list index"},
		{"empty index", []string{"a__list_"}, "invalid list index"},
		{"empty key", []string{"__map_a"}, "empty key"},
		{"prefix", []string{"a"}, "missing prefix"},
		{"huge index", []string{"a__list_99999999999999999999"}, "invalid list index"},
	}
	for _, tt := range tests {
		var items []*Node
		for i, k := range tt.keys {
			n := NewString(k, "secret-value")
			n.Line = i + 1
			items = append(items, n)
		}
		prefix := ""
		if tt.name == "prefix" {
			prefix = "sops_"
		}
		_, err := Unflatten(items, prefix)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		var ue *UnflattenError
		if !errors.As(err, &ue) || !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: error %T is not an *UnflattenError", tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.want)
		}
		if strings.Contains(err.Error(), "secret-value") {
			t.Errorf("%s: error %q shows a value", tt.name, err)
		}
	}
}

func TestUnflattenDepthLimit(t *testing.T) {
	k := "a" + strings.Repeat("__map_a", DefaultLimits.MaxDepth+1)
	if _, err := Unflatten([]*Node{NewString(k, "v")}, ""); err == nil {
		t.Errorf("no error for a key nested %d levels", DefaultLimits.MaxDepth+1)
	}
}

// FuzzUnflatten checks that whatever Unflatten accepts flattens back to the
// same items. Seeds are the metadata lines of the dotenv and INI fixtures.
func FuzzUnflatten(f *testing.F) {
	seeds := 0
	for _, glob := range []string{"dotenv/testdata/*/*.env", "ini/testdata/*/*.ini"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			var keys []string
			for _, line := range strings.Split(string(data), "\n") {
				k, _, ok := strings.Cut(line, "=")
				if !ok {
					continue
				}
				k = strings.TrimPrefix(strings.TrimSpace(k), "sops_")
				keys = append(keys, k)
			}
			f.Add(strings.Join(keys, "\n"))
			seeds++
		}
	}
	if seeds == 0 {
		f.Fatal("no seeds found for FuzzUnflatten")
	}
	f.Fuzz(func(t *testing.T, keys string) {
		var items []*Node
		for i, k := range strings.Split(keys, "\n") {
			items = append(items, NewString(k, strings.Repeat("v", i%3)))
		}
		n, err := Unflatten(items, "")
		if err != nil {
			var ue *UnflattenError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T is not an *UnflattenError", err)
			}
			return
		}
		flat, err := Flatten(n, "")
		if err != nil {
			t.Fatalf("flatten of an unflattened tree: %v", err)
		}
		if len(flat) != len(items) {
			t.Fatalf("%d items in, %d out", len(items), len(flat))
		}
		byKey := map[string]string{}
		for _, it := range items {
			byKey[it.Key] = it.Value
		}
		for _, it := range flat {
			if v, ok := byKey[it.Key]; !ok || v != it.Value {
				t.Fatalf("item %q changed", it.Key)
			}
		}
	})
}
