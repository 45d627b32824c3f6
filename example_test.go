package hull_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// The test identity of testdata/interop/keys/age1.txt. Never use a key
// from documentation for real secrets.
const exampleIdentity = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"

func ExampleEncryptData() {
	recipients, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		log.Fatal(err)
	}
	plain := []byte("db_password: hunter2\nport_unencrypted: 5432\n")
	enc, err := hull.EncryptData(plain, "yaml", hull.EncryptOptions{
		Groups: [][]keysources.Recipient{recipients},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(string(enc), "db_password: ENC[AES256_GCM,"))
	fmt.Println(strings.Contains(string(enc), "port_unencrypted: 5432"))
	// Output:
	// true
	// true
}

func ExampleDecryptData() {
	ids, err := age.ParseIdentities(strings.NewReader(exampleIdentity), "example")
	if err != nil {
		log.Fatal(err)
	}
	enc, err := os.ReadFile("testdata/interop/cases/env-basic/encrypted.env")
	if err != nil {
		log.Fatal(err)
	}
	plain, err := hull.DecryptData(context.Background(), enc, "dotenv", hull.DecryptOptions{Identities: ids})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(strings.SplitAfter(string(plain), "\n")[0])
	// Output:
	// # Local development settings
}

func ExampleDecryptFile() {
	ids, err := age.ParseIdentities(strings.NewReader(exampleIdentity), "example")
	if err != nil {
		log.Fatal(err)
	}
	plain, err := hull.DecryptFile(context.Background(), "testdata/interop/cases/json-basic/encrypted.json", hull.DecryptOptions{Identities: ids})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Contains(string(plain), `"service": "payments"`))
	// Output: true
}

func ExampleEncryptFile() {
	recipients, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		log.Fatal(err)
	}
	enc, err := hull.EncryptFile("examples/app.env", hull.EncryptOptions{Groups: [][]keysources.Recipient{recipients}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Contains(string(enc), "sops_mac=ENC["))
	// Output: true
}

// Errors are typed: a wrong key, a changed file and a malformed one are
// told apart with errors.Is.
func Example_errors() {
	other, err := age.ParseIdentities(strings.NewReader("AGE-SECRET-KEY-12YZKCDTJXZP9D5V0XJ20VQ7MN9U985JUDDEMDX3T8HMJQWW7ZGWSJT8FFV"), "example")
	if err != nil {
		log.Fatal(err)
	}
	_, err = hull.DecryptFile(context.Background(), "testdata/interop/cases/yaml-basic/encrypted.yaml", hull.DecryptOptions{Identities: other})
	var report *keysources.RecoverError
	fmt.Println(errors.Is(err, hull.ErrNoKey), errors.As(err, &report))

	mine, _ := age.ParseIdentities(strings.NewReader(exampleIdentity), "example")
	enc, _ := os.ReadFile("testdata/interop/cases/yaml-basic/encrypted.yaml")
	tampered := strings.Replace(string(enc), "replicas: ENC", "replicas_unencrypted: 3\nreplicas: ENC", 1)
	_, err = hull.DecryptData(context.Background(), []byte(tampered), "yaml", hull.DecryptOptions{Identities: mine})
	fmt.Println(errors.Is(err, hull.ErrMACMismatch))
	// Output:
	// true true
	// true
}
