package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// forbiddenDeps are the packages hull must not link: the cloud SDKs and
// what they drag in (gRPC, protobuf, OpenTelemetry, html/template through
// golang.org/x/net/trace). They cost tens of milliseconds of start-up in
// every run; they belong in hull-kms (cmd/hull-kms). A prefix ending in
// "/" matches a tree of packages, any other an exact package.
var forbiddenDeps = []string{
	"github.com/aws/",
	"cloud.google.com/go/",
	"google.golang.org/api/",
	"google.golang.org/grpc",
	"google.golang.org/grpc/",
	"google.golang.org/protobuf/",
	"google.golang.org/genproto/",
	"github.com/Azure/",
	"github.com/AzureAD/",
	"go.opentelemetry.io/",
	"golang.org/x/oauth2",
	"golang.org/x/net/trace",
	"html/template",
	"github.com/hullsecrets/hull/keysources/awskms",
	"github.com/hullsecrets/hull/keysources/gcpkms",
	"github.com/hullsecrets/hull/keysources/azkv",
	"github.com/hullsecrets/hull/internal/kmsplugin",
}

// TestNoCloudSDKInHull fails when the hull binary links a cloud SDK
// (go list -deps of this package, without its tests), and checks that
// hull-kms still does, so that the list keeps meaning something.
func TestNoCloudSDKInHull(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	deps := func(pkg string) []string {
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(goTool, "list", "-deps", "-tags", "urfave_cli_no_docs", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	forbidden := func(p string) bool {
		for _, f := range forbiddenDeps {
			if p == f || strings.HasSuffix(f, "/") && strings.HasPrefix(p, f) {
				return true
			}
		}
		return false
	}
	for _, p := range deps(".") {
		if forbidden(p) {
			t.Errorf("hull links %s: cloud key sources belong in hull-kms (keysources/companion)", p)
		}
	}
	n := 0
	for _, p := range deps("../hull-kms") {
		if forbidden(p) {
			n++
		}
	}
	if n < 50 {
		t.Errorf("hull-kms links only %d of the packages hull must not: is the list still right?", n)
	}
}
