#!/usr/bin/env bash
# Builds the end-to-end tools once into a cache folder keyed by version, skipping what is already
# there, and prints the folder. Everything comes from this machine's Go module proxy.
#
#   test/e2e/tools/build.sh            # builds what is missing, prints the bin folder
#
# SCALESTACK_TOOLS_CACHE moves the cache (default ~/.cache/scalestack-tools).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SCALESTACK_TOOLS_CACHE:-$HOME/.cache/scalestack-tools}"
export GONOSUMDB=github.com/pulumi GOFLAGS=-mod=mod

pulumi_version=v3.259.0
kubernetes_provider_version=4.25.0
kubernetes_provider_module=github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199

step() { printf '== %s (%ss)\n' "$1" "$SECONDS" >&2; }

# build NAME VERSION DIR GO-BUILD-ARGS...: builds DIR's package into the cache once.
build() {
  local name=$1 version=$2 dir=$3; shift 3
  local out="$cache/$name-$version/$name"
  if [ -x "$out" ]; then
    step "$name $version: cached"
  else
    step "$name $version: building"
    mkdir -p "$(dirname "$out")"
    (cd "$dir" && go build -o "$out.tmp" "$@" && mv "$out.tmp" "$out")
  fi
  mkdir -p "$cache/bin"
  ln -sf "$out" "$cache/bin/$name"
}

build pulumi "$pulumi_version" "$here/pulumi" \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

# The provider's command embeds generated files the module zip lacks: copy the sources of them.
mod="$(cd "$here/kubernetes" && go list -m -f '{{.Dir}}' "${kubernetes_provider_module%@*}")"
cp "$mod/cmd/pulumi-resource-kubernetes/schema.json" "$mod/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$here/kubernetes/"
chmod 644 "$here/kubernetes/schema.json" "$here/kubernetes/terraform-mapping.json"
build pulumi-resource-kubernetes "$kubernetes_provider_version" "$here/kubernetes" \
  -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$kubernetes_provider_version" .

kube_version=v1.33.13
kube_ldflags="-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=33"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  build "$cmd" "$kube_version" "$here/kube" -ldflags "$kube_ldflags" "k8s.io/kubernetes/cmd/$cmd"
done

echo "$cache/bin"
