// Package tlstest writes certificates for tests of mutual TLS: a CA, a
// server certificate for 127.0.0.1 and localhost, and a client
// certificate it signed; and a client certificate another CA signed.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files written by Write, in its directory.
const (
	CA              = "ca.pem"
	ServerCert      = "server.pem"
	ServerKey       = "server-key.pem"
	ClientCert      = "client.pem"
	ClientKey       = "client-key.pem"
	OtherCA         = "other-ca.pem"
	OtherClientCert = "other-client.pem"
	OtherClientKey  = "other-client-key.pem"
)

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCert(dir, certFile, keyFile string, tmpl *x509.Certificate, by *issuer) (*issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, big.NewInt(1<<62)); err != nil {
		return nil, err
	}
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	parent, signer := tmpl, key
	if by != nil {
		parent, signer = by.cert, by.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, certFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	if keyFile != "" {
		k, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, keyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), 0o600); err != nil {
			return nil, err
		}
	}
	return &issuer{cert, key}, nil
}

func ca(name string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
}

func leaf(name string, usage x509.ExtKeyUsage) *x509.Certificate {
	c := &x509.Certificate{Subject: pkix.Name{CommonName: name}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	if usage == x509.ExtKeyUsageServerAuth {
		c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		c.DNSNames = []string{"localhost"}
	}
	return c
}

// Write writes the files to dir.
func Write(dir string) error {
	root, err := newCert(dir, CA, "", ca("hull test CA"), nil)
	if err != nil {
		return err
	}
	if _, err := newCert(dir, ServerCert, ServerKey, leaf("hull keyservice", x509.ExtKeyUsageServerAuth), root); err != nil {
		return err
	}
	if _, err := newCert(dir, ClientCert, ClientKey, leaf("hull client", x509.ExtKeyUsageClientAuth), root); err != nil {
		return err
	}
	other, err := newCert(dir, OtherCA, "", ca("another CA"), nil)
	if err != nil {
		return err
	}
	_, err = newCert(dir, OtherClientCert, OtherClientKey, leaf("a stranger", x509.ExtKeyUsageClientAuth), other)
	return err
}
