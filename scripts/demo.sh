#!/usr/bin/env bash
# make demo: build hull and run the main job on examples/ with a throwaway
# age key. Nothing outside a temporary directory is read or written.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/hull" ./cmd/hull
hull="$work/hull"

# A throwaway identity: only this demo knows it.
export XDG_CONFIG_HOME="$work/config" HOME="$work/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE SOPS_AGE_RECIPIENTS SOPS_CONFIG
recipient=$("$hull" keygen)
echo "== hull keygen: new identity in \$XDG_CONFIG_HOME/sops/age/keys.txt, recipient $recipient"

mkdir -p "$work/out/k8s"
for f in secrets.yaml app.json app.env legacy.ini blob.bin; do
	"$hull" encrypt --age "$recipient" "examples/$f" > "$work/out/$f"
	echo "== encrypted examples/$f"
done
"$hull" encrypt --age "$recipient" --encrypted-regex '^(data|stringData)$' examples/k8s/secret.yaml > "$work/out/k8s/secret.yaml"
echo "== encrypted examples/k8s/secret.yaml (only stringData, so kubectl sees the rest)"

echo
echo "== the encrypted secrets.yaml: keys and structure stay readable"
cat "$work/out/secrets.yaml"

echo
echo "== hull decrypt of it"
"$hull" decrypt "$work/out/secrets.yaml"

for f in secrets.yaml app.json app.env legacy.ini blob.bin k8s/secret.yaml; do
	if ! "$hull" decrypt "$work/out/$f" | cmp -s - "examples/$f"; then
		echo "demo: decrypting $f did not give the original back" >&2
		exit 1
	fi
done
echo
echo "== every example decrypts back to the original, byte for byte"
echo "== $("$hull" filestatus "$work/out/app.env") for the encrypted app.env"
echo "== removed $work"
