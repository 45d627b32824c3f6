package companion

import (
	"context"
	"errors"
	"fmt"
)

// opUpload is the request of hull publish: put a file in an S3 or GCS
// bucket (the SDKs are hull-kms's).
const opUpload = "upload"

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

// MaxUpload is the largest file an upload request carries: the request is
// one line of at most MaxLine bytes, the data in base64.
const MaxUpload = (MaxLine - 4096) / 4 * 3

// Upload asks hull-kms to store data as the object key of bucket at dest
// (DestS3 or DestGCS) with the credentials of its environment.
func (c *Client) Upload(ctx context.Context, dest, bucket, key string, data []byte) error {
	if len(data) > MaxUpload {
		return fmt.Errorf("%d bytes is more than hull-kms uploads (%d)", len(data), MaxUpload)
	}
	resp, err := c.call(ctx, request{Op: opUpload, Type: dest, Bucket: bucket, Object: key, Data: data})
	if err != nil {
		return err
	}
	if resp.Error != nil {
		return &remoteError{msg: resp.Error.Message}
	}
	return nil
}

func (s *server) upload(ctx context.Context, req request) response {
	if s.up == nil {
		return response{ID: req.ID, Error: errorToWire(errors.New("this hull-kms does not upload"))}
	}
	if req.Type != DestS3 && req.Type != DestGCS || req.Bucket == "" || req.Object == "" {
		return response{ID: req.ID, Error: errorToWire(fmt.Errorf("upload request needs type s3 or gcs, a bucket and an object (got %q, %q, %q)", req.Type, req.Bucket, req.Object))}
	}
	if err := s.up.Upload(ctx, req.Type, req.Bucket, req.Object, req.Data); err != nil {
		return response{ID: req.ID, Error: errorToWire(err)}
	}
	return response{ID: req.ID}
}
