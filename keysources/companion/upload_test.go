package companion

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirUploader stores the objects of bucket B in the directory dir/dest/B.
type dirUploader string

func (d dirUploader) Upload(ctx context.Context, dest, bucket, key string, data []byte) error {
	p := filepath.Join(string(d), dest, bucket, filepath.FromSlash(key))
	if _, err := os.Stat(filepath.Join(string(d), dest, bucket)); err != nil {
		return fmt.Errorf("%s://%s: no such bucket", dest, bucket)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o600)
}

// TestUploadSizes: files up to MaxSingleUpload go in one request, larger
// ones in parts, through the companion over its pipe; the bucket gets
// each file whole.
func TestUploadSizes(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, DestS3, "b"), 0o700)
	c := testClient(t, "upload", testVersion, "HULL_COMPANION_TEST_DIR="+dir)
	for _, n := range []int{1, MaxSingleUpload, MaxSingleUpload + 1, 3<<20 + 123, 2 * UploadPart} {
		data := make([]byte, n)
		rand.Read(data)
		key := fmt.Sprintf("p/%d.bin", n)
		if err := c.Upload(context.Background(), DestS3, "b", key, data); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, DestS3, "b", "p", fmt.Sprintf("%d.bin", n)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: stored %d bytes, %v", n, len(got), err)
		}
	}
	// The bucket's failure, at upload_close; the next upload works: the
	// failed one released what it held.
	big := make([]byte, 3<<20)
	err := c.Upload(context.Background(), DestS3, "nobucket", "f", big)
	if err == nil || err.Error() != "s3://nobucket: no such bucket" {
		t.Fatalf("missing bucket: %v", err)
	}
	for range 2 {
		if err := c.Upload(context.Background(), DestS3, "b", "again", make([]byte, MaxUpload/2+1)); err != nil {
			t.Fatalf("after a failure: %v", err)
		}
	}
}

// TestUploadTooLarge: over MaxUpload nothing is sent, and hull-kms is not
// even started; a hull-kms that takes no parts is named.
func TestUploadTooLarge(t *testing.T) {
	c := testClient(t, "upload", testVersion, "HULL_COMPANION_TEST_DIR="+t.TempDir())
	err := c.Upload(context.Background(), DestGCS, "b", "f", make([]byte, MaxUpload+1))
	if err == nil || err.Error() != "the file is 64.0 MiB, more than hull-kms uploads to a bucket (64.0 MiB at most); nothing was sent" || c.Started() {
		t.Errorf("too large: %v (started %v)", err, c.Started())
	}
	old := testClient(t, "upload1", testVersion)
	err = old.Upload(context.Background(), DestGCS, "b", "f", make([]byte, MaxSingleUpload+1))
	if err == nil || !strings.Contains(err.Error(), "uploads files in one request only (783360 bytes at most); install the hull-kms of this hull's release") {
		t.Errorf("old hull-kms: %v", err)
	}
}

// TestUploadProtocolErrors: hull-kms checks the parts it is sent and
// stores nothing incomplete.
func TestUploadProtocolErrors(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, DestGCS, "g"), 0o700)
	b64 := base64.StdEncoding.EncodeToString
	// One request at a time, as the client sends parts: hull-kms serves
	// requests concurrently.
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- ServeUploads(inR, outW, "test", nil, nil, dirUploader(dir)); outW.Close() }()
	answers := bufio.NewReader(outR)
	for _, c := range []struct{ send, want string }{
		{`{"protocol":1}`, `{"protocol":1,"hull_kms":"test","upload":2}`},
		{`{"id":1,"op":"upload_open","type":"gcs","bucket":"g","object":"f","size":6}`, `{"id":1}`},
		{`{"id":2,"op":"upload_part","upload":1,"offset":3,"data":"` + b64([]byte("def")) + `"}`,
			`{"id":2,"error":{"message":"upload_part: a part at offset 3, where 0 bytes were received: parts are sent in order"}}`},
		{`{"id":3,"op":"upload_part","upload":1,"offset":0,"data":"` + b64([]byte("abcdefg")) + `"}`,
			`{"id":3,"error":{"message":"upload_part: 1 bytes more than the 6 of upload_open"}}`},
		{`{"id":4,"op":"upload_part","upload":1,"offset":0,"data":"` + b64([]byte("abc")) + `"}`, `{"id":4}`},
		{`{"id":5,"op":"upload_close","upload":1}`, `{"id":5,"error":{"message":"upload_close: 3 of 6 bytes received; nothing was uploaded"}}`},
		{`{"id":6,"op":"upload_part","upload":1,"offset":3,"data":"` + b64([]byte("def")) + `"}`, `{"id":6,"error":{"message":"upload_part: no open upload 1"}}`},
		{fmt.Sprintf(`{"id":7,"op":"upload_open","type":"gcs","bucket":"g","object":"f","size":%d}`, MaxUpload+1),
			fmt.Sprintf(`{"id":7,"error":{"message":"upload_open: a size of %d bytes: hull-kms uploads 1 to %d bytes"}}`, MaxUpload+1, MaxUpload)},
		{fmt.Sprintf(`{"id":8,"op":"upload_open","type":"gcs","bucket":"g","object":"f","size":%d}`, MaxUpload/2+1), `{"id":8}`},
		{fmt.Sprintf(`{"id":9,"op":"upload_open","type":"gcs","bucket":"g","object":"f","size":%d}`, MaxUpload/2),
			fmt.Sprintf(`{"id":9,"error":{"message":"upload_open: hull-kms holds %d bytes of open uploads, and takes at most %d at once"}}`, MaxUpload/2+1, MaxUpload)},
		{`{"id":10,"op":"upload_abort","upload":8}`, `{"id":10}`},
		{fmt.Sprintf(`{"id":11,"op":"upload_open","type":"gcs","bucket":"g","object":"f","size":%d}`, MaxUpload/2), `{"id":11}`},
		{`{"id":12,"op":"upload_open","type":"ftp","bucket":"g","object":"f","size":1}`,
			`{"id":12,"error":{"message":"upload request needs type s3 or gcs, a bucket and an object (got \"ftp\", \"g\", \"f\")"}}`},
	} {
		fmt.Fprintln(inW, c.send)
		got, err := answers.ReadString('\n')
		if err != nil || strings.TrimSpace(got) != c.want {
			t.Errorf("sent %.80s\n got %s want %s (%v)", c.send, got, c.want, err)
		}
	}
	inW.Close()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, DestGCS, "g", "f")); err == nil {
		t.Error("an incomplete upload was stored")
	}
}
