#!/bin/sh
# Build static release binaries of hull and of its companion hull-kms (the
# cloud key sources) for every supported platform into dist/ and write
# dist/SHA256SUMS. Called by 'make release', which passes
# VERSION, COMMIT and GO. The tag urfave_cli_no_docs leaves urfave/cli's
# own documentation writers out of the binaries (see make build).
set -eu

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
PLATFORMS=${PLATFORMS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"}

case $VERSION in
*/* | *' '*) echo "release: bad version '$VERSION'" >&2; exit 1 ;;
esac

rm -rf dist
mkdir -p dist
for p in $PLATFORMS; do
	os=${p%/*}
	arch=${p#*/}
	ext=
	if [ "$os" = windows ]; then ext=.exe; fi
	for cmd in hull hull-kms; do
		out=dist/${cmd}_${VERSION}_${os}_${arch}${ext}
		echo "building $out"
		CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -tags urfave_cli_no_docs \
			-ldflags "-s -w -buildid= -X main.version=$VERSION -X main.commit=$COMMIT" \
			-o "$out" ./cmd/$cmd
	done
done

cd dist
if command -v sha256sum >/dev/null 2>&1; then
	sha256sum hull_* hull-kms_* >SHA256SUMS
else
	shasum -a 256 hull_* hull-kms_* >SHA256SUMS
fi
cat SHA256SUMS
