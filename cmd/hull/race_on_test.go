//go:build race

package main

// raceEnabled: the tests run with the race detector (go test -race), so
// every hull the differential test starts is the slower race build.
const raceEnabled = true
