package hull

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

func scalar(key string, t formats.Type, v string) *formats.Node {
	return &formats.Node{Kind: formats.Scalar, Key: key, Type: t, Value: v}
}

// The MAC example of FORMAT.md §12.1: leaf bytes alice, 42, 0.5, True, x,
// 7, visible, in order.
const macVector = "032AFCEBFDACABB3E9437EC8D8434CE1796518ACC3F98E0437771F809A1DFF1F3318788045248D934A198C89D82CCC6EE3BE092494A7751E2F9BFAAA138982FC"

func macVectorDoc() *formats.Node {
	return &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
		scalar("name", formats.String, "alice"),
		scalar("count", formats.Int, "42"),
		{Kind: formats.Comment, Value: " a comment is never hashed"},
		scalar("ratio", formats.Float, "0.50"),
		scalar("flag", formats.Bool, "True"),
		scalar("empty", formats.String, ""),
		scalar("nothing", formats.Null, ""),
		{Kind: formats.Sequence, Key: "list", Children: []*formats.Node{
			scalar("", formats.String, "x"),
			scalar("", formats.Int, "7"),
		}},
		scalar("keep_unencrypted", formats.String, "visible"),
	}}
}

func TestMACVector(t *testing.T) {
	f := &formats.File{Docs: []*formats.Node{macVectorDoc()}}
	m := &metadata.Metadata{Rule: metadata.DefaultRule}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Seal(f, vectorKey(), m, SealOptions{Rand: repeatReader(7), Now: now}); err != nil {
		t.Fatal(err)
	}
	if m.LastModified != "2024-01-02T03:04:05Z" {
		t.Fatalf("lastmodified %q", m.LastModified)
	}
	c, _ := newValueCipher(vectorKey(), nil)
	e, err := parseEnvelope(m.MAC)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.open(e, m.LastModified)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != macVector {
		t.Fatalf("MAC\n got %s\nwant %s", got, macVector)
	}
	doc := f.Docs[0]
	if doc.Get("keep_unencrypted").Value != "visible" || doc.Get("empty").Value != "" || doc.Get("nothing").Type != formats.Null {
		t.Error("unencrypted, empty or null values were changed")
	}
	if !looksEncrypted(doc.Children[2].Value) {
		t.Error("comment was not encrypted")
	}
	// And back.
	if _, err := Open(f, vectorKey(), m, OpenOptions{}); err != nil {
		t.Fatal(err)
	}
	want := macVectorDoc()
	want.Get("ratio").Value = "0.50"
	if !formats.Equal(f.Docs[0], want) {
		t.Error("round trip changed the document")
	}
}

func TestMACOnlyEncrypted(t *testing.T) {
	f := &formats.File{Docs: []*formats.Node{macVectorDoc()}}
	m := &metadata.Metadata{Rule: metadata.DefaultRule, MACOnlyEncrypted: true}
	if err := Seal(f, vectorKey(), m, SealOptions{}); err != nil {
		t.Fatal(err)
	}
	// A clear value may change without breaking the MAC.
	f.Docs[0].Get("keep_unencrypted").Value = "changed"
	if _, err := Open(f, vectorKey(), m, OpenOptions{}); err != nil {
		t.Fatalf("mac_only_encrypted: %v", err)
	}
}

// encSeedsFromTestdata collects ENC[…] strings from the interop fixtures.
func encSeedsFromTestdata(tb testing.TB) []string {
	re := regexp.MustCompile(`ENC\[[^\]]*\]`)
	var out []string
	paths, _ := filepath.Glob("testdata/interop/cases/*/encrypted.*")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range re.FindAll(b, 5) {
			out = append(out, string(m))
		}
	}
	return out
}
