// Package testservers holds in-process fakes of the cloud key services for
// tests, speaking their real wire protocols on loopback: Cloud KMS (gRPC)
// and Azure Key Vault (HTTPS with the bearer challenge). The package tests
// of keysources/gcpkms and keysources/azkv and the command-line tests use
// them. AWS KMS is the emulator of internal/localkms; Vault transit is
// internal/vaulttest.
package testservers
