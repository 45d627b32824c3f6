package yaml_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	yamlfmt "github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
)

func stageMemory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "in.yaml")
	if msg, err := exec.Command("go", "run", "../../internal/benchgen", "-shape", "yaml-500k", "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, msg)
	}
	data, _ := os.ReadFile(out)
	recips, ids := benchKeysT(t)
	dir := os.Getenv("HULL_STAGE_MEM_DIR")
	mark := func(stage string) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("%-28s live %6.1f MiB  total alloc %7.1f MiB\n", stage, float64(ms.HeapAlloc)/(1<<20), float64(ms.TotalAlloc)/(1<<20))
		if dir != "" {
			f, _ := os.Create(filepath.Join(dir, stage+".heap"))
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	fm := yamlfmt.New()
	mark("0-input")
	f, err := fm.Parse(data, formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mark("1-enc-parsed")
	if err := hull.Encrypt(f, hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}, Format: fm}); err != nil {
		t.Fatal(err)
	}
	mark("2-enc-encrypted")
	enc, err := fm.Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mark("3-enc-emitted")
	f, data = nil, nil
	mark("4-dec-input")
	f, err = fm.Parse(enc, formats.ParseOptions{Encrypted: true, Borrow: true}) // as hull.ParseEncrypted
	if err != nil {
		t.Fatal(err)
	}
	mark("5-dec-parsed")
	if _, err := hull.Decrypt(context.Background(), f, hull.DecryptOptions{Identities: ids}); err != nil {
		t.Fatal(err)
	}
	mark("6-dec-decrypted")
	plain, err := fm.Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mark("7-dec-emitted")
	runtime.KeepAlive(plain)
	runtime.KeepAlive(enc)
}
