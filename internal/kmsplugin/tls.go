package kmsplugin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hullsecrets/hull/keysources/companion"
)

// tlsFiles reads the variables names, which must be all set or all unset:
// nil when none is set.
func tlsFiles(get func(string) string, names ...string) ([]string, error) {
	var set, unset []string
	vals := make([]string, len(names))
	for i, n := range names {
		if vals[i] = get(n); vals[i] == "" {
			unset = append(unset, n)
		} else {
			set = append(set, n)
		}
	}
	switch {
	case len(set) == 0:
		return nil, nil
	case len(unset) > 0:
		return nil, fmt.Errorf("%s set without %s: mutual TLS needs %s", strings.Join(set, ", "), strings.Join(unset, ", "), strings.Join(names, ", "))
	}
	return vals, nil
}

// certPool reads a CA file (PEM) of the variable name.
func certPool(name, path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate", name, path)
	}
	return pool, nil
}

// keyPair reads a certificate and its private key (PEM) of the variables
// certName and keyName. Its errors never quote the key.
func keyPair(certName, certPath, keyName, keyPath string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return c, fmt.Errorf("%s/%s: %w", certName, keyName, pe)
		}
		return c, fmt.Errorf("%s=%s, %s=%s: not a matching PEM certificate and private key", certName, certPath, keyName, keyPath)
	}
	return c, nil
}

// ServerTLS is the mutual TLS of hull keyservice on tcp, from
// HULL_KEYSERVICE_CERT, HULL_KEYSERVICE_KEY and HULL_KEYSERVICE_CLIENT_CA:
// only clients with a certificate that CA signed are served. nil when none
// is set.
func ServerTLS(get func(string) string) (*tls.Config, error) {
	f, err := tlsFiles(get, companion.EnvTLSCert, companion.EnvTLSKey, companion.EnvTLSClientCA)
	if f == nil || err != nil {
		return nil, err
	}
	cert, err := keyPair(companion.EnvTLSCert, f[0], companion.EnvTLSKey, f[1])
	if err != nil {
		return nil, err
	}
	pool, err := certPool(companion.EnvTLSClientCA, f[2])
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// ClientTLS is the mutual TLS of hull's requests to tcp key services, from
// HULL_KEYSERVICE_CA, HULL_KEYSERVICE_CLIENT_CERT and
// HULL_KEYSERVICE_CLIENT_KEY: the server's certificate must be signed by
// that CA, for the host of the URI. nil when none is set.
func ClientTLS(get func(string) string) (*tls.Config, error) {
	f, err := tlsFiles(get, companion.EnvTLSCA, companion.EnvTLSClientCert, companion.EnvTLSClientKey)
	if f == nil || err != nil {
		return nil, err
	}
	pool, err := certPool(companion.EnvTLSCA, f[0])
	if err != nil {
		return nil, err
	}
	cert, err := keyPair(companion.EnvTLSClientCert, f[1], companion.EnvTLSClientKey, f[2])
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
