#!/usr/bin/env bash
# A Kubernetes cluster on 127.0.0.1 for the end-to-end tests and the demo: etcd, kube-apiserver (TLS,
# token authentication, RBAC, service-account keys, API aggregation), kube-controller-manager (with
# its HPA controller), kube-scheduler, kwok with fake nodes that emulate the kubelet's resource
# metrics, and metrics-server serving metrics.k8s.io from them. Everything listens on free loopback ports and lives in DIR.
#
#   test/e2e/cluster.sh DIR
#
# It writes DIR/kubeconfig (the admin's), then DIR/ready once the API server answers and every node
# is Ready, and stays in the foreground. It stops everything it started when it is interrupted or
# terminated, when a component dies (exit 1, with that component's log), or when the process named
# by SCALESTACK_E2E_PARENT (default: its parent) goes away. Logs are DIR/*.log.
#
# SCALESTACK_TOOLS_BIN is the folder test/e2e/tools/build.sh printed (default
# ~/.cache/scalestack-tools/bin); SCALESTACK_E2E_NODES is the number of fake nodes (default 3, one a
# zone).
set -euo pipefail

dir="${1:?usage: test/e2e/cluster.sh DIR}"
bin="${SCALESTACK_TOOLS_BIN:-${SCALESTACK_TOOLS_CACHE:-$HOME/.cache/scalestack-tools}/bin}"
nodes="${SCALESTACK_E2E_NODES:-3}"
parent="${SCALESTACK_E2E_PARENT:-$PPID}"

for tool in kube-apiserver kube-controller-manager kube-scheduler kubectl kwok metrics-server; do
  [ -x "$bin/$tool" ] || { echo "cluster.sh: $bin/$tool is missing: run test/e2e/tools/build.sh" >&2; exit 1; }
done
command -v etcd >/dev/null || { echo "cluster.sh: etcd is missing: apt-get install etcd-server" >&2; exit 1; }
command -v openssl >/dev/null || { echo "cluster.sh: openssl is missing: apt-get install openssl" >&2; exit 1; }

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
rm -f "$dir/ready"
pki="$dir/pki"
mkdir -p "$pki"

# --- stopping: whatever happens, everything started here stops -----------------------------------
pids=()
names=()
stop() {
  local rc=$?
  trap - EXIT INT TERM
  rm -f "$dir/ready"
  # Reverse order: kwok and the controllers before the API server, the API server before etcd.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$dir/etcd"
  exit "$rc"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME COMMAND...: runs COMMAND in the background with its output in DIR/NAME.log.
start() {
  local name=$1; shift
  "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}

# died: exits 1 with the log of the first component that is no longer running.
died() {
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      echo "cluster.sh: ${names[i]} stopped; the end of $dir/${names[i]}.log:" >&2
      tail -n 30 "$dir/${names[i]}.log" >&2
      exit 1
    fi
  done
}

# free_port: a loopback port nothing listens on (and that none of this cluster took already),
# below the kernel's ephemeral range, where outgoing connections take their local ports.
read -r ephemeral _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || ephemeral=32768
taken=" "
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % (ephemeral - 10000)))
    case "$taken" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      taken="$taken$p "
      echo "$p"
      return
    fi
  done
}

# --- keys, certificates and tokens ------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=scalestack-e2e-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
  -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' >"$pki/apiserver.ext"
openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 2 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
# serving CN SAN: a certificate of the cluster's CA for a server on 127.0.0.1 (kwok's kubelet
# endpoint, metrics-server).
serving() {
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}
serving kwok kwok "IP:127.0.0.1,DNS:localhost"
serving metrics-server metrics-server "IP:127.0.0.1,DNS:metrics-server.kube-system.svc"
# The aggregation layer's front proxy: its own CA, and the client certificate the API server
# presents to metrics-server with the caller's identity in headers.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=scalestack-e2e-front-proxy-ca" \
  -keyout "$pki/front-proxy-ca.key" -out "$pki/front-proxy-ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=front-proxy-client" \
  -keyout "$pki/front-proxy-client.key" -out "$pki/front-proxy-client.csr" 2>/dev/null
openssl x509 -req -in "$pki/front-proxy-client.csr" -CA "$pki/front-proxy-ca.crt" -CAkey "$pki/front-proxy-ca.key" \
  -CAcreateserial -days 2 -out "$pki/front-proxy-client.crt" 2>/dev/null
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

token() { openssl rand -hex 24; }
admin_token=$(token) cm_token=$(token) scheduler_token=$(token) kwok_token=$(token) metrics_token=$(token)
umask 077
cat >"$pki/tokens.csv" <<EOF
$admin_token,scalestack-e2e-admin,scalestack-e2e-admin,"system:masters"
$cm_token,system:kube-controller-manager,system:kube-controller-manager
$scheduler_token,system:kube-scheduler,system:kube-scheduler
$kwok_token,kwok-controller,kwok-controller,"system:masters"
$metrics_token,system:metrics-server,system:metrics-server
EOF
umask 022

etcd_port=$(free_port) etcd_peer_port=$(free_port) api_port=$(free_port) kwok_port=$(free_port) metrics_port=$(free_port)
server="https://127.0.0.1:$api_port"

# kubeconfig FILE USER TOKEN: a kubeconfig for this cluster that authenticates with TOKEN.
kubeconfig() {
  (umask 077 && cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: scalestack-e2e
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: $2
  user:
    token: $3
contexts:
- name: scalestack-e2e
  context: {cluster: scalestack-e2e, user: $2}
current-context: scalestack-e2e
EOF
  )
}
kubeconfig "$dir/kubeconfig" scalestack-e2e-admin "$admin_token"
kubeconfig "$pki/controller-manager.kubeconfig" system:kube-controller-manager "$cm_token"
kubeconfig "$pki/scheduler.kubeconfig" system:kube-scheduler "$scheduler_token"
kubeconfig "$pki/kwok.kubeconfig" kwok-controller "$kwok_token"
kubeconfig "$pki/metrics-server.kubeconfig" system:metrics-server "$metrics_token"
kubectl() { "$bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

# --- the control plane ------------------------------------------------------------------------------
rm -rf "$dir/etcd"
start etcd etcd --name e2e --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "e2e=http://127.0.0.1:$etcd_peer_port" --quota-backend-bytes 1073741824

start kube-apiserver "$bin/kube-apiserver" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true \
  --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
  --cert-dir "$pki" --profiling=false

for _ in $(seq 120); do
  died
  kubectl get --raw /readyz >/dev/null 2>&1 && break
  sleep 0.5
done
kubectl get --raw /readyz >/dev/null

start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$pki/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$pki/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$pki/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-name scalestack-e2e --profiling=false

start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$pki/scheduler.kubeconfig" \
  --authentication-kubeconfig "$pki/scheduler.kubeconfig" \
  --authorization-kubeconfig "$pki/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --profiling=false

# --- kwok and its fake nodes --------------------------------------------------------------------
# The default StorageClass is kwok's: its stages provision and bind a volume for every claim.
kubectl apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: kwok-volume
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kwok.x-k8s.io/volume
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF

configs=()
for f in "$bin"/kwok-stage/*.yaml "$bin"/kwok-metrics/*.yaml; do configs+=(--config "$f"); done
start kwok "$bin/kwok" --kubeconfig "$pki/kwok.kubeconfig" \
  "${configs[@]}" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --cidr 10.244.0.0/16 --node-ip 127.0.0.1 --node-port "$kwok_port" --server-address "127.0.0.1:$kwok_port" \
  --tls-cert-file "$pki/kwok.crt" --tls-private-key-file "$pki/kwok.key" --node-lease-duration-seconds 40

zones=(a b c)
for i in $(seq 0 $((nodes - 1))); do
  zone="zone-${zones[i % 3]}"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
    # kwok serves every node's kubelet metrics on one port, each under its own path.
    metrics.k8s.io/resource-metrics-path: /metrics/nodes/kwok-node-$i/metrics/resource
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    topology.kubernetes.io/zone: $zone
    type: kwok
status:
  allocatable: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 100Gi}
  capacity: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 100Gi}
EOF
done

for _ in $(seq 120); do
  died
  ready=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c True || true)
  [ "$ready" -ge "$nodes" ] && break
  sleep 0.5
done
[ "$ready" -ge "$nodes" ] || { echo "cluster.sh: $ready of $nodes nodes became Ready" >&2; exit 1; }
# Pods need their namespace's default ServiceAccount, which the controller manager makes.
for _ in $(seq 120); do
  died
  kubectl get serviceaccount default -n default >/dev/null 2>&1 && break
  sleep 0.5
done

# --- metrics-server --------------------------------------------------------------------------------
# metrics.k8s.io for the HPA controller: metrics-server scrapes kwok's emulated kubelets every 15 s
# (its release manifest's resolution) and the API server's aggregation layer proxies to it. The
# Service is an ExternalName of 127.0.0.1, as there is no cluster network to reach an endpoint on.
kubectl apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:metrics-server"}
rules:
- {apiGroups: [""], resources: [nodes/metrics], verbs: [get]}
- {apiGroups: [""], resources: [pods, nodes], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:metrics-server"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:metrics-server"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:metrics-server"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "metrics-server:system:auth-delegator"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:metrics-server"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: metrics-server-auth-reader, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:metrics-server"}]
---
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system}
spec: {type: ExternalName, externalName: 127.0.0.1}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: metrics-server, namespace: kube-system, port: $metrics_port}
  caBundle: $(base64 -w0 <"$pki/ca.crt")
EOF
start metrics-server "$bin/metrics-server" \
  --kubeconfig "$pki/metrics-server.kubeconfig" \
  --authentication-kubeconfig "$pki/metrics-server.kubeconfig" \
  --authorization-kubeconfig "$pki/metrics-server.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$metrics_port" \
  --tls-cert-file "$pki/metrics-server.crt" --tls-private-key-file "$pki/metrics-server.key" \
  --kubelet-preferred-address-types InternalIP --kubelet-use-node-status-port \
  --kubelet-certificate-authority "$pki/ca.crt" --metric-resolution 15s --profiling=false
# The Pulumi provider and kubectl read every API group: the aggregated one must answer first.
available() { [ "$(kubectl get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" = True ]; }
for _ in $(seq 240); do
  died
  available && break
  sleep 0.5
done
available || { echo "cluster.sh: metrics.k8s.io is not available:" >&2; kubectl get apiservice v1beta1.metrics.k8s.io -o yaml >&2; tail -n 30 "$dir/metrics-server.log" >&2; exit 1; }

touch "$dir/ready"
echo "cluster.sh: ready at $server with $nodes nodes; KUBECONFIG=$dir/kubeconfig" >&2

while kill -0 "$parent" 2>/dev/null; do
  died
  sleep 1
done
