package kmsplugin

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/hullsecrets/hull/keysources/companion"
)

// The upload request end to end on the companion's side: JSON lines in,
// the object in a loopback S3 server, the answers out.
func TestUploadRequests(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("b"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	defer srv.Close()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL_S3": srv.URL, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	body := []byte("sops: {}\n")
	in := strings.Join([]string{
		`{"protocol":1}`,
		`{"id":1,"op":"upload","type":"s3","bucket":"b","object":"dir/f.yaml","data":"` + base64.StdEncoding.EncodeToString(body) + `"}`,
		`{"id":2,"op":"upload","type":"s3","bucket":"missing","object":"f","data":"eA=="}`,
		`{"id":3,"op":"upload","type":"ftp","bucket":"b","object":"f"}`,
	}, "\n") + "\n"
	var out bytes.Buffer
	if err := companion.ServeUploads(strings.NewReader(in), &out, "test", nil, nil, uploader{UploadOptions{S3PathStyle: true}}); err != nil {
		t.Fatal(err)
	}
	obj, err := be.GetObject("b", "dir/f.yaml", nil)
	if err != nil {
		t.Fatalf("not uploaded: %v\n%s", err, out.String())
	}
	got, _ := io.ReadAll(obj.Contents)
	if !bytes.Equal(got, body) {
		t.Errorf("object = %q", got)
	}
	for _, want := range []string{`{"id":1}`, `"id":2,"error":{"message":"s3://missing/f: `, `NoSuchBucket`, `"id":3,"error":{"message":"upload request needs type s3 or gcs`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("answers lack %s:\n%s", want, out.String())
		}
	}
}

func TestUploadGCS(t *testing.T) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "g"})
	t.Setenv("STORAGE_EMULATOR_HOST", srv.URL())
	if err := (uploader{}).Upload(context.Background(), companion.DestGCS, "g", "p/f.json", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	obj, err := srv.GetObject("g", "p/f.json")
	if err != nil || string(obj.Content) != `{"a":1}` {
		t.Errorf("object = %q, %v", obj.Content, err)
	}
	if err := (uploader{}).Upload(context.Background(), companion.DestGCS, "nobucket", "f", []byte("x")); err == nil || !strings.Contains(err.Error(), "gcs://nobucket/f") {
		t.Errorf("missing bucket: %v", err)
	}
}
