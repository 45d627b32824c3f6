package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hullsecrets/hull/internal/vaulttest"
)

// envS3PathStyle, if set, makes hull-kms address S3 buckets in the path
// (the loopback S3 server has no virtual hosts).
const envS3PathStyle = "HULL_TEST_S3_PATH_STYLE"

// publishServers holds each script's destinations, by $WORK.
var publishServers sync.Map

type publishServer struct {
	s3    gofakes3.Backend
	gcs   *fakestorage.Server
	vault *vaulttest.Server
}

func scriptPublishServer(ts *testscript.TestScript) *publishServer {
	v, _ := publishServers.LoadOrStore(ts.Getenv("WORK"), &publishServer{})
	return v.(*publishServer)
}

// publish-server s3|gcs|vault BUCKET|-: starts a destination for hull
// publish on loopback, with the bucket (s3, gcs) or the KV engines
// "secret" (v2) and "kv1" (v1) (vault), and points the environment at it.
func cmdPublishServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: publish-server s3|gcs|vault BUCKET|-")
	}
	work := ts.Getenv("WORK")
	ps := scriptPublishServer(ts)
	switch args[0] {
	case "s3":
		ps.s3 = s3mem.New()
		ts.Check(ps.s3.CreateBucket(args[1]))
		srv := httptest.NewServer(gofakes3.New(ps.s3).Server())
		ts.Defer(srv.Close)
		aws := filepath.Join(work, ".aws")
		ts.Check(os.MkdirAll(aws, 0o700))
		for k, v := range map[string]string{
			"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_REGION": "us-east-1",
			"AWS_ENDPOINT_URL_S3": srv.URL, "AWS_CONFIG_FILE": filepath.Join(aws, "config"),
			"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(aws, "credentials"), "AWS_EC2_METADATA_DISABLED": "true",
			envS3PathStyle: "1",
		} {
			ts.Setenv(k, v)
		}
	case "gcs":
		srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Writer: io.Discard})
		ts.Check(err)
		ts.Defer(srv.Stop)
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: args[1]})
		ps.gcs = srv
		ts.Setenv("STORAGE_EMULATOR_HOST", srv.URL())
	case "vault":
		ps.vault = vaulttest.New(&scriptTB{ts: ts, dir: work}, "transit")
		ps.vault.MountKV("secret", 2)
		ps.vault.MountKV("kv1", 1)
		ts.Setenv("VAULT_TOKEN", ps.vault.Token)
		ts.Setenv("VAULT_ADDR", ps.vault.Srv.URL)
	default:
		ts.Fatalf("publish-server: unknown destination %q", args[0])
	}
}

// published s3|gcs BUCKET KEY: the object is stored; it is written to
// stdout. published vault MOUNT PATH: the secret's data, as JSON, to
// stdout. published -writes vault N: N secrets were written. published
// -list s3|gcs BUCKET PREFIX: the names of the objects below PREFIX
// (without it), sorted, one a line, to stdout.
func cmdPublished(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 4 && args[0] == "-list" && !neg {
		publishedList(ts, args[1], args[2], args[3])
		return
	}
	if len(args) != 3 {
		ts.Fatalf("usage: published s3|gcs BUCKET KEY | vault MOUNT PATH | -writes vault N | -list s3|gcs BUCKET PREFIX")
	}
	ps := scriptPublishServer(ts)
	var data []byte
	var err error
	switch args[0] {
	case "s3":
		var obj *gofakes3.Object
		if obj, err = ps.s3.GetObject(args[1], args[2], nil); err == nil {
			data, err = io.ReadAll(obj.Contents)
		}
	case "gcs":
		var obj fakestorage.Object
		if obj, err = ps.gcs.GetObject(args[1], args[2]); err == nil {
			data = obj.Content
		}
	case "vault":
		s := ps.vault.Secret(args[1], args[2])
		if s == nil {
			err = fmt.Errorf("no secret %s in %s", args[2], args[1])
		} else {
			data, err = json.Marshal(s)
			data = append(data, '\n')
		}
	case "-writes":
		if got := fmt.Sprint(ps.vault.KVWrites.Load()); got != args[2] {
			ts.Fatalf("vault: %s secrets written, want %s", got, args[2])
		}
		return
	default:
		ts.Fatalf("published: unknown destination %q", args[0])
	}
	if neg {
		if err == nil {
			ts.Fatalf("%s %s %s: published, want nothing", args[0], args[1], args[2])
		}
		return
	}
	ts.Check(err)
	ts.Stdout().Write(data)
}

func publishedList(ts *testscript.TestScript, kind, bucket, prefix string) {
	ps := scriptPublishServer(ts)
	var names []string
	switch kind {
	case "s3":
		list, err := ps.s3.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: true, Prefix: prefix}, gofakes3.ListBucketPage{})
		ts.Check(err)
		for _, o := range list.Contents {
			names = append(names, strings.TrimPrefix(o.Key, prefix))
		}
	case "gcs":
		objs, _, err := ps.gcs.ListObjectsWithOptions(bucket, fakestorage.ListOptions{Prefix: prefix})
		ts.Check(err)
		for _, o := range objs {
			names = append(names, strings.TrimPrefix(o.Name, prefix))
		}
	default:
		ts.Fatalf("published -list: unknown destination %q", kind)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(ts.Stdout(), n)
	}
}
