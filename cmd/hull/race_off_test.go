//go:build !race

package main

// raceEnabled: the tests run with the race detector (go test -race).
const raceEnabled = false
