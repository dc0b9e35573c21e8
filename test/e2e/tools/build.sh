#!/usr/bin/env bash
# Builds the end-to-end tools once into a cache folder keyed by version, skipping what is already
# there, and prints the folder. Everything comes from this machine's Go module proxy.
#
#   test/e2e/tools/build.sh            # builds what is missing, prints the bin folder
#
# The bin folder holds the commands and crds/, a folder per set of CustomResourceDefinitions.
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
# (go list -m names the folder only once the module is in the module cache.)
(cd "$here/kubernetes" && go mod download "${kubernetes_provider_module%@*}")
mod="$(cd "$here/kubernetes" && go list -m -f '{{.Dir}}' "${kubernetes_provider_module%@*}")"
[ -d "$mod" ] || { echo "build.sh: no module folder for ${kubernetes_provider_module%@*}" >&2; exit 1; }
cp "$mod/cmd/pulumi-resource-kubernetes/schema.json" "$mod/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$here/kubernetes/"
chmod 644 "$here/kubernetes/schema.json" "$here/kubernetes/terraform-mapping.json"
build pulumi-resource-kubernetes "$kubernetes_provider_version" "$here/kubernetes" \
  -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$kubernetes_provider_version" .

kube_version=v1.33.13
kube_ldflags="-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=33"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  build "$cmd" "$kube_version" "$here/kube" -ldflags "$kube_ldflags" "k8s.io/kubernetes/cmd/$cmd"
done

# kwok has no replace directives, so it builds from its own module; its stage files (how fake nodes
# and pods move through their states) ship in the module and go beside the binary.
kwok_version=v0.8.0
out="$cache/kwok-$kwok_version"
if [ -f "$out/complete" ]; then
  step "kwok $kwok_version: cached"
else
  step "kwok $kwok_version: building"
  mkdir -p "$out"
  GOFLAGS= GOBIN="$out" go install "sigs.k8s.io/kwok/cmd/kwok@$kwok_version"
  src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$kwok_version/kustomize/stage"
  rm -rf "$out/stage" && mkdir -p "$out/stage"
  # Nodes come up Ready and keep a heartbeat; pods go through their general life; every claim of
  # the kwok-volume class (cluster.sh makes it the default) gets a volume.
  cp "$src/node/fast/node-initialize.yaml" "$src/node/heartbeat/node-heartbeat.yaml" \
    "$src"/pod/general/pod-*.yaml "$src"/volume/fast/p*.yaml "$out/stage/"
  chmod 644 "$out/stage/"*
  touch "$out/complete"
fi
# kwok's emulation of the kubelet's /metrics/resource (a Metric), and pod CPU and memory read from
# the pods' kwok.x-k8s.io/usage-cpu and usage-memory annotations (a ClusterResourceUsage): what
# metrics-server scrapes. Kept apart from the stages: only cluster.sh's metrics use them.
if [ ! -f "$out/metrics/complete" ]; then
  step "kwok $kwok_version: metrics configuration"
  src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$kwok_version/kustomize/metrics"
  [ -d "$src" ] || (cd "$here/crds" && GOFLAGS= go mod download "sigs.k8s.io/kwok@$kwok_version")
  rm -rf "$out/metrics" && mkdir -p "$out/metrics"
  cp "$src/resource/metrics-resource.yaml" "$src/usage/usage-from-annotation.yaml" "$out/metrics/"
  chmod 644 "$out/metrics/"*
  touch "$out/metrics/complete"
fi
ln -sf "$out/kwok" "$cache/bin/kwok"
ln -sfn "$out/stage" "$cache/bin/kwok-stage"
ln -sfn "$out/metrics" "$cache/bin/kwok-metrics"

# metrics-server, the metrics.k8s.io API the HPA controller reads pod CPU from; cluster.sh runs it
# against kwok's emulated kubelets.
metrics_server_version=v0.8.0
build metrics-server "$metrics_server_version" "$here/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server

# promtool, for `promtool check rules` on the alert rules the program writes. Its version is
# github.com/prometheus/common/version's, which a plain go build leaves empty.
promtool_version=0.316.0
build promtool "$promtool_version" "$here/prometheus" \
  -ldflags "-X github.com/prometheus/common/version.Version=$promtool_version" \
  github.com/prometheus/prometheus/cmd/promtool

# The CRDs of the kinds the program writes, so that the API server validates those objects with
# their real schemas. bin/crds/<set> links each set's folder.
mkdir -p "$cache/bin/crds"

# The Prometheus operator's module has Go types, no CRD YAML: controller-gen (the version whose
# Kubernetes libraries match the module's, 0.34) generates them as the operator's release does,
# v1 CRDs with structural schemas, one file per kind of every version of the API group.
controller_gen_version=v0.19.0
build controller-gen "$controller_gen_version" "$here/crds" sigs.k8s.io/controller-tools/cmd/controller-gen
monitoring_version=v0.86.0
monitoring_module=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring
out="$cache/crds-monitoring-$monitoring_version"
if [ -d "$out" ]; then
  step "monitoring CRDs $monitoring_version: cached"
else
  step "monitoring CRDs $monitoring_version: generating"
  rm -rf "$out.tmp"
  (cd "$here/crds" && "$cache/bin/controller-gen" crd paths="$monitoring_module/..." output:crd:dir="$out.tmp")
  mv "$out.tmp" "$out"
fi
ln -sfn "$out" "$cache/bin/crds/monitoring"

# copy_crds SET NAME MODULE VERSION FILE...: copies CRD YAML files (paths in the module) that a
# module ships into bin/crds/SET, once per version.
copy_crds() {
  local set=$1 name=$2 module=$3 version=$4; shift 4
  local out="$cache/crds-$set-$version"
  if [ -d "$out" ]; then
    step "$name CRDs $version: cached"
  else
    step "$name CRDs $version: copying"
    (cd "$here/crds" && go mod download "$module@$version")
    local mod
    mod="$(cd "$here/crds" && go list -m -f '{{.Dir}}' "$module@$version")"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    for f in "$@"; do
      # A glob stays as written when nothing matches: the file check catches it.
      for g in "$mod"/$f; do
        [ -f "$g" ] || { echo "build.sh: no $f in $module@$version" >&2; exit 1; }
        cp "$g" "$out.tmp/"
      done
    done
    chmod 644 "$out.tmp/"*
    mv "$out.tmp" "$out"
  fi
  ln -sfn "$out" "$cache/bin/crds/$set"
}

# KEDA's, Karpenter's (NodePool and NodeClaim: the AWS provider's EC2NodeClass module is not
# served here) and the Vertical Pod Autoscaler's modules ship their CRDs as YAML.
copy_crds keda KEDA github.com/kedacore/keda/v2 v2.17.0 'config/crd/bases/*.yaml'
copy_crds karpenter Karpenter sigs.k8s.io/karpenter v1.6.0 pkg/apis/crds/karpenter.sh_nodepools.yaml pkg/apis/crds/karpenter.sh_nodeclaims.yaml
copy_crds vpa VPA k8s.io/autoscaler/vertical-pod-autoscaler v1.4.0 deploy/vpa-v1-crd-gen.yaml

echo "$cache/bin"
