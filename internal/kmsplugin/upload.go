package kmsplugin

import (
	"bytes"
	"context"
	"fmt"

	"cloud.google.com/go/storage"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"google.golang.org/api/option"

	"github.com/hullsecrets/hull/keysources/companion"
)

// UploadOptions are the settings of hull publish's uploads. The SDKs read
// the rest from the environment as they always do: AWS credentials,
// region and AWS_ENDPOINT_URL_S3; Google's application default
// credentials and STORAGE_EMULATOR_HOST.
type UploadOptions struct {
	// S3PathStyle addresses buckets in the path (S3-compatible servers
	// without virtual hosts).
	S3PathStyle bool
	// GCS are more client options for Cloud Storage.
	GCS []option.ClientOption
}

type uploader struct{ o UploadOptions }

// Upload stores data as the object key of bucket.
func (u uploader) Upload(ctx context.Context, dest, bucket, key string, data []byte) error {
	switch dest {
	case companion.DestS3:
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return fmt.Errorf("s3://%s/%s: loading the AWS configuration: %v", bucket, key, err)
		}
		c := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = u.o.S3PathStyle
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		})
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			return fmt.Errorf("s3://%s/%s: %v", bucket, key, err)
		}
		return nil
	case companion.DestGCS:
		c, err := storage.NewClient(ctx, u.o.GCS...)
		if err != nil {
			return fmt.Errorf("gcs://%s/%s: %v", bucket, key, err)
		}
		defer c.Close()
		w := c.Bucket(bucket).Object(key).NewWriter(ctx)
		w.ChunkSize = 0 // one request: files are bounded (companion.MaxUpload)
		if _, err := w.Write(data); err != nil {
			w.Close()
			return fmt.Errorf("gcs://%s/%s: %v", bucket, key, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("gcs://%s/%s: %v", bucket, key, err)
		}
		return nil
	}
	return fmt.Errorf("hull-kms does not upload to %q", dest)
}
