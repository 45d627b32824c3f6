package awskms_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/localkms"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/awskms"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
	"github.com/hullsecrets/hull/metadata"
)

var (
	arn1  = localkms.ARN(localkms.KeyID)
	arn2  = localkms.ARN(localkms.Key2ID)
	alias = localkms.ARN(localkms.AliasName)
)

func staticCreds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(localkms.AccessKeyID, localkms.SecretAccessKey, "")
}

func options(endpoint string) awskms.Options {
	return awskms.Options{Endpoint: endpoint, Credentials: staticCreds(), Timeout: 10 * time.Second}
}

func recipient(t *testing.T, s string, o awskms.Options) *awskms.Recipient {
	t.Helper()
	rs, err := awskms.ParseRecipients(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d recipients", len(rs))
	}
	return rs[0].(*awskms.Recipient)
}

func checkNoSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), localkms.SecretAccessKey) {
		t.Errorf("error shows the secret access key: %v", err)
	}
}

func TestConformance(t *testing.T) {
	endpoint := localkms.Start(t)
	o := options(endpoint)
	id := awskms.NewIdentity(o)
	for name, r := range map[string]string{"key": arn1, "alias": alias} {
		t.Run(name, func(t *testing.T) {
			keysourcetest.Run(t, keysourcetest.Fixture{
				Recipient: recipient(t, r, o),
				Identity:  id,
				Other:     id.Only(arn2),
				Parse:     func(s string) ([]keysources.Recipient, error) { return awskms.ParseRecipients(s, o) },
				Secrets:   []string{localkms.SecretAccessKey},
			})
		})
	}
}

func TestStanzaLayout(t *testing.T) {
	endpoint := localkms.Start(t)
	o := options(endpoint)
	o.Now = func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }
	o.Context = map[string]string{"b": "v2", "a": "v1"}
	s, err := recipient(t, arn1, o).Wrap(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range s.Fields.Children {
		names = append(names, c.Key)
	}
	if got := strings.Join(names, ","); got != "arn,aws_profile,context,created_at,enc" {
		t.Errorf("fields %s", got)
	}
	c := s.Fields.Get("context")
	if c == nil || c.Kind != formats.Mapping || len(c.Children) != 2 || c.Children[0].Key != "a" || c.Get("b").Value != "v2" {
		t.Errorf("context %+v", c)
	}
	if s.Get("aws_profile") != "" || s.Fields.Get("aws_profile") == nil || s.Get("created_at") != "2024-01-02T03:04:05Z" {
		t.Errorf("stanza %+v", s.Fields)
	}
	if got, want := metadata.StanzaID(s), arn1+"|a:v1,b:v2"; got != want {
		t.Errorf("StanzaID %q, want %q", got, want)
	}
	got, err := awskms.NewIdentity(options(endpoint)).Unwrap(s)
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("Unwrap: %x %v", got, err)
	}
}

// TestContextMismatch: the encryption context is authenticated by KMS; a
// stanza whose context was changed or removed does not decrypt.
func TestContextMismatch(t *testing.T) {
	endpoint := localkms.Start(t)
	o := options(endpoint)
	o.Context = map[string]string{"app": "hull"}
	s, err := recipient(t, arn1, o).Wrap(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	id := awskms.NewIdentity(options(endpoint))
	changed := metadata.Stanza{Type: s.Type, Fields: s.Fields.Clone()}
	changed.Fields.Get("context").Get("app").Value = "other"
	removed := metadata.Stanza{Type: s.Type, Fields: s.Fields.Clone()}
	removed.Fields.Remove("context")
	for name, st := range map[string]metadata.Stanza{"changed": changed, "removed": removed} {
		key, err := id.Unwrap(st)
		if err == nil || key != nil {
			t.Errorf("%s context: unwrapped %x", name, key)
			continue
		}
		if !errors.Is(err, keysources.ErrInvalidCiphertext) || !strings.Contains(err.Error(), arn1) {
			t.Errorf("%s context: %v, want the invalid-ciphertext class naming %s", name, err, arn1)
		}
		checkNoSecret(t, err)
	}
}

// TestKeyNotFound: a key unknown to KMS, and a key removed (scheduled for
// deletion) after the file was written, give "key not found" naming the
// ARN.
func TestKeyNotFound(t *testing.T) {
	endpoint := localkms.Start(t)
	o := options(endpoint)
	s, err := recipient(t, arn2, o).Wrap(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	unknown := localkms.ARN("00000000-0000-0000-0000-000000000000")
	if _, err := recipient(t, unknown, o).Wrap(bytes.Repeat([]byte{9}, 32)); !errors.Is(err, keysources.ErrKeyNotFound) || !strings.Contains(err.Error(), unknown) {
		t.Errorf("wrap with an unknown key: %v", err)
	}

	admin := kms.NewFromConfig(aws.Config{Region: localkms.Region, Credentials: staticCreds()}, func(o *kms.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if _, err := admin.ScheduleKeyDeletion(context.Background(), &kms.ScheduleKeyDeletionInput{KeyId: aws.String(localkms.Key2ID), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatalf("ScheduleKeyDeletion: %v", err)
	}
	key, err := awskms.NewIdentity(o).Unwrap(s)
	if key != nil || !errors.Is(err, keysources.ErrKeyNotFound) {
		t.Fatalf("unwrap with a removed key: %x, %v; want key not found", key, err)
	}
	if !strings.Contains(err.Error(), arn2) {
		t.Errorf("error does not name the key: %v", err)
	}
	checkNoSecret(t, err)
	t.Logf("removed key: %v", err)
}

// TestUnreachable: a dead endpoint fails fast, within the timeout, as
// "service unreachable", after bounded retries.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	l.Close()
	o := options(endpoint)
	o.Timeout = 3 * time.Second
	start := time.Now()
	_, err = recipient(t, arn1, o).Wrap(bytes.Repeat([]byte{1}, 32))
	if !errors.Is(err, keysources.ErrUnreachable) || !strings.Contains(err.Error(), arn1) {
		t.Errorf("dead endpoint: %v, want service unreachable naming the key", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %v, more than the timeout", d)
	}
	checkNoSecret(t, err)
}

// isolateAWS points the SDK's configuration at empty files and clears
// the credential variables, so the test sees only what it sets.
func isolateAWS(t *testing.T) string {
	dir := t.TempDir()
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// TestDefaultChain uses no Options at all: the SDK's own credentials chain
// (a shared profile here) and its endpoint setting AWS_ENDPOINT_URL_KMS.
func TestDefaultChain(t *testing.T) {
	endpoint := localkms.Start(t)
	dir := isolateAWS(t)
	t.Setenv("AWS_ENDPOINT_URL_KMS", endpoint)
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte("[hulltest]\naws_access_key_id = "+localkms.AccessKeyID+"\naws_secret_access_key = "+localkms.SecretAccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := awskms.Options{Profile: "hulltest"}
	s, err := recipient(t, arn1, o).Wrap(bytes.Repeat([]byte{6}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if s.Get("aws_profile") != "hulltest" {
		t.Errorf("aws_profile %q", s.Get("aws_profile"))
	}
	if got, err := awskms.NewIdentity(awskms.Options{}).Unwrap(s); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{6}, 32)) {
		t.Errorf("Unwrap with the stanza's profile: %x %v", got, err)
	}

	// An unknown profile, and no credentials at all.
	s.Set("aws_profile", "nosuchprofile")
	_, err = awskms.NewIdentity(awskms.Options{}).Unwrap(s)
	if !errors.Is(err, keysources.ErrNoCredentials) {
		t.Errorf("unknown profile: %v, want no credentials", err)
	}
	s.Set("aws_profile", "")
	_, err = awskms.NewIdentity(awskms.Options{Timeout: 5 * time.Second}).Unwrap(s)
	if !errors.Is(err, keysources.ErrNoCredentials) {
		t.Errorf("no credentials: %v, want no credentials", err)
	}
	checkNoSecret(t, err)
}

func TestParse(t *testing.T) {
	rs, err := awskms.ParseRecipients(" "+arn1+" + arn:aws:iam::123:role/r ,, "+alias, awskms.Options{Profile: "p", Context: map[string]string{"k": "v"}})
	if err != nil || len(rs) != 2 {
		t.Fatalf("%v %v", rs, err)
	}
	if got, want := rs[0].String(), arn1+"+arn:aws:iam::123:role/r|k:v|p"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
	if got, want := rs[1].String(), alias+"|k:v|p"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
	for _, bad := range []string{"not-an-arn", "arn:aws:kms:us-east-1:123:key", "arn:aws:kms:evil.example.com/x:123:key/k", "+arn:aws:iam::1:role/r"} {
		if _, err := awskms.ParseRecipients(bad, awskms.Options{}); err == nil {
			t.Errorf("ParseRecipients(%q) succeeded", bad)
		}
	}
	for in, want := range map[string]string{
		"arn:aws:kms:us-east-1:123456789012:key/abc":          "us-east-1",
		"arn:aws-us-gov:kms:us-gov-west-1:1:alias/x":          "us-gov-west-1",
		"arn:aws-cn:kms:cn-north-1:123:key/0000-1111-2222-33": "cn-north-1",
	} {
		if got, err := awskms.Region(in); got != want || err != nil {
			t.Errorf("Region(%q) = %q, %v", in, got, err)
		}
	}
	c, err := awskms.ParseContext("a:1,b:2")
	if err != nil || len(c) != 2 || c["b"] != "2" {
		t.Errorf("ParseContext: %v %v", c, err)
	}
	if c, err := awskms.ParseContext(""); c != nil || err != nil {
		t.Errorf("ParseContext(\"\") = %v, %v", c, err)
	}
	for _, bad := range []string{"a", "a:1:2", "a:1,", "a:1,b"} {
		if _, err := awskms.ParseContext(bad); err == nil {
			t.Errorf("ParseContext(%q) succeeded", bad)
		}
	}
}

// TestNoSDKUntilUsed: parsing recipients, building identities and
// unwrapping other stanza types set nothing of the SDK up.
func TestNoSDKUntilUsed(t *testing.T) {
	before := awskms.ConfigsLoaded()
	if _, err := awskms.ParseRecipients(arn1, awskms.Options{}); err != nil {
		t.Fatal(err)
	}
	id := awskms.NewIdentity(awskms.Options{})
	if _, err := id.Unwrap(metadata.NewStanza("age", "recipient", "age1x", "enc", "x")); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Errorf("age stanza: %v", err)
	}
	if n := awskms.ConfigsLoaded() - before; n != 0 {
		t.Errorf("%d AWS configurations loaded before any kms key was used", n)
	}
}
