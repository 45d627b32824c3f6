package companion

import (
	"context"
	"errors"
	"fmt"
)

// The requests of hull publish: put a file in an S3 or GCS bucket (the
// SDKs are hull-kms's). A file that fits in one line goes in one upload
// request; a larger one in parts: upload_open, upload_part in order,
// upload_close (upload_abort gives up).
const (
	opUpload      = "upload"
	opUploadOpen  = "upload_open"
	opUploadPart  = "upload_part"
	opUploadClose = "upload_close"
	opUploadAbort = "upload_abort"
)

// UploadVersion is the version of the upload requests this package speaks,
// in hull-kms's hello ("upload"): 1 (or absent), the upload request only;
// 2, also files in parts.
const UploadVersion = 2

// The upload destinations.
const (
	DestS3  = "s3"
	DestGCS = "gcs"
)

// Uploader puts objects in buckets for the companion's upload requests.
type Uploader interface {
	// Upload stores data as the object key of bucket at dest (DestS3 or
	// DestGCS), replacing it.
	Upload(ctx context.Context, dest, bucket, key string, data []byte) error
}

// MaxSingleUpload is the largest file one upload request carries: the
// request is one line of at most MaxLine bytes, the data in base64.
const MaxSingleUpload = (MaxLine - 4096) / 4 * 3

// UploadPart is the size of the parts of a larger file (its last part is
// shorter): one part is one line under MaxLine.
const UploadPart = 512 << 10

// MaxUpload is the largest file hull-kms uploads, and the most it holds
// for open uploads at once: it keeps a file in memory until upload_close,
// so that a bucket never gets part of one. Encrypted secrets files are far
// smaller; the bound leaves room for binary ones (keystores, archives).
const MaxUpload = 64 << 20

// Upload asks hull-kms to store data as the object key of bucket at dest
// (DestS3 or DestGCS) with the credentials of its environment: in one
// request up to MaxSingleUpload bytes, else in parts. More than MaxUpload
// bytes is refused before anything is sent.
func (c *Client) Upload(ctx context.Context, dest, bucket, key string, data []byte) error {
	if len(data) > MaxUpload {
		return fmt.Errorf("the file is %s, more than hull-kms uploads to a bucket (%s at most); nothing was sent", size(len(data)), size(MaxUpload))
	}
	if len(data) <= MaxSingleUpload {
		return c.uploadCall(ctx, request{Op: opUpload, Type: dest, Bucket: bucket, Object: key, Data: data})
	}
	if err := c.start(); err != nil {
		return err
	}
	if c.uploadVersion < 2 {
		return fmt.Errorf("the file is %s, and %s uploads files in one request only (%s at most); install the hull-kms of this hull's release", size(len(data)), c.path, size(MaxSingleUpload))
	}
	resp, err := c.call(ctx, request{Op: opUploadOpen, Type: dest, Bucket: bucket, Object: key, Size: int64(len(data))})
	if err == nil && resp.Error != nil {
		err = &remoteError{msg: resp.Error.Message}
	}
	if err != nil {
		return err
	}
	id := resp.ID
	for off := 0; off < len(data); off += UploadPart {
		part := data[off:min(off+UploadPart, len(data))]
		if err := c.uploadCall(ctx, request{Op: opUploadPart, Upload: id, Offset: int64(off), Data: part}); err != nil {
			c.send(request{Op: opUploadAbort, Upload: id}) // frees what hull-kms holds
			return err
		}
	}
	// upload_close ends the upload whatever its outcome.
	return c.uploadCall(ctx, request{Op: opUploadClose, Upload: id})
}

// uploadCall sends an upload request and returns its failure.
func (c *Client) uploadCall(ctx context.Context, req request) error {
	resp, err := c.call(ctx, req)
	if err != nil {
		return err
	}
	if resp.Error != nil {
		return &remoteError{msg: resp.Error.Message}
	}
	return nil
}

// size says n bytes for people.
func size(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// openUpload is a file hull-kms receives in parts.
type openUpload struct {
	dest, bucket, object string
	size                 int
	data                 []byte
}

func checkDest(dest, bucket, object string) error {
	if dest != DestS3 && dest != DestGCS || bucket == "" || object == "" {
		return fmt.Errorf("upload request needs type s3 or gcs, a bucket and an object (got %q, %q, %q)", dest, bucket, object)
	}
	return nil
}

func (s *server) upload(ctx context.Context, req request) response {
	fail := func(err error) response { return response{ID: req.ID, Error: errorToWire(err)} }
	if s.up == nil {
		return fail(errors.New("this hull-kms does not upload"))
	}
	switch req.Op {
	case opUpload:
		if err := checkDest(req.Type, req.Bucket, req.Object); err != nil {
			return fail(err)
		}
		if err := s.up.Upload(ctx, req.Type, req.Bucket, req.Object, req.Data); err != nil {
			return fail(err)
		}
	case opUploadOpen:
		if err := checkDest(req.Type, req.Bucket, req.Object); err != nil {
			return fail(err)
		}
		if req.Size <= 0 || req.Size > MaxUpload {
			return fail(fmt.Errorf("upload_open: a size of %d bytes: hull-kms uploads 1 to %d bytes", req.Size, MaxUpload))
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.held+int(req.Size) > MaxUpload {
			return fail(fmt.Errorf("upload_open: hull-kms holds %d bytes of open uploads, and takes at most %d at once", s.held, MaxUpload))
		}
		s.held += int(req.Size)
		s.uploads[req.ID] = &openUpload{dest: req.Type, bucket: req.Bucket, object: req.Object, size: int(req.Size), data: make([]byte, 0, req.Size)}
	case opUploadPart:
		s.mu.Lock()
		defer s.mu.Unlock()
		u := s.uploads[req.Upload]
		switch {
		case u == nil:
			return fail(fmt.Errorf("upload_part: no open upload %d", req.Upload))
		case req.Offset != int64(len(u.data)):
			return fail(fmt.Errorf("upload_part: a part at offset %d, where %d bytes were received: parts are sent in order", req.Offset, len(u.data)))
		case len(u.data)+len(req.Data) > u.size:
			return fail(fmt.Errorf("upload_part: %d bytes more than the %d of upload_open", len(u.data)+len(req.Data)-u.size, u.size))
		}
		u.data = append(u.data, req.Data...)
	case opUploadClose, opUploadAbort:
		s.mu.Lock()
		u := s.uploads[req.Upload]
		delete(s.uploads, req.Upload)
		s.mu.Unlock()
		if u == nil {
			return fail(fmt.Errorf("%s: no open upload %d", req.Op, req.Upload))
		}
		defer func() {
			s.mu.Lock()
			s.held -= u.size
			s.mu.Unlock()
		}()
		if req.Op == opUploadAbort {
			break
		}
		if len(u.data) != u.size {
			return fail(fmt.Errorf("upload_close: %d of %d bytes received; nothing was uploaded", len(u.data), u.size))
		}
		if err := s.up.Upload(ctx, u.dest, u.bucket, u.object, u.data); err != nil {
			return fail(err)
		}
	}
	return response{ID: req.ID}
}
