# Thin wrappers over the Go commands a Go developer expects. `make help` lists them.
GO ?= go
STATICCHECK_VERSION := v0.8.2

.PHONY: help build vet fmt lint test e2e e2e-tools demo fuzz golden diagrams chart plan cost capacity bench cloudflare-ips check

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

build: ## go build ./...
	$(GO) build ./...

vet: ## go vet ./... (with the end-to-end tests' build tag, so their files are vetted too), and test/promql
	$(GO) vet -tags e2e ./...
	cd test/promql && $(GO) vet ./...

fmt: ## gofmt -l: fail when a file is not formatted
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

lint: ## staticcheck, pinned
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags e2e ./...

test: ## go test ./..., and the rules' and dashboards' PromQL against Prometheus's parser (test/promql, a module of its own)
	$(GO) test ./...
	cd test/promql && $(GO) test ./...

e2e-tools: ## build the end-to-end tools once (Pulumi CLI, Kubernetes provider, API server, kwok, promtool, the KEDA and Prometheus operator CRDs)
	test/e2e/tools/build.sh

e2e: e2e-tools ## the real engine and API server on 127.0.0.1 (needs etcd and openssl); E2EFLAGS=-v
	$(GO) test -tags e2e -count=1 -timeout 45m $(E2EFLAGS) ./test/e2e

demo: e2e-tools ## bring up a local 1K stack on a cluster on 127.0.0.1 and keep it until Ctrl-C
	$(GO) run ./test/e2e/demo

fuzz: ## fuzz the config parser, the preview reader and the capacity model for a minute each, the simulation's curves and rightsize's inputs for 30 s
	$(GO) test ./stacks/config -run '^$$' -fuzz FuzzParse -fuzztime 60s
	$(GO) test ./cost -run '^$$' -fuzz FuzzReadPreview -fuzztime 60s
	$(GO) test ./capacity -run '^$$' -fuzz FuzzCapacity -fuzztime 60s
	$(GO) test ./simulate -run '^$$' -fuzz FuzzParseRamp -fuzztime 30s
	$(GO) test ./simulate -run '^$$' -fuzz FuzzParseTraffic -fuzztime 30s
	$(GO) test ./simulate -run '^$$' -fuzz FuzzOverride -fuzztime 30s
	$(GO) test ./rightsize -run '^$$' -fuzz FuzzQuantity -fuzztime 30s
	$(GO) test ./rightsize -run '^$$' -fuzz FuzzLoad -fuzztime 30s
	$(GO) test ./rightsize -run '^$$' -fuzz FuzzCompare -fuzztime 30s

golden: ## rewrite the golden plans, cost, check and capacity reports after a reviewed change
	$(GO) test ./stacks -update

diagrams: ## rewrite the README's platform diagrams (mermaid) from the plans
	$(GO) test ./cmd/scalestack -run TestReadmeDiagrams -update

chart: ## rewrite the README's charts: docs/capacity-tiers.svg (capacity and cost per tier) and seed 000's launch simulated on 10K and 100K
	$(GO) run ./cmd/scalestack capacity tiers --format svg > docs/capacity-tiers.svg
	$(GO) run ./cmd/scalestack simulate --cloud digitalocean --tier 10k --traffic stacks/examples/seed-000-launch.yaml --format svg > docs/seed-000-10k.svg
	$(GO) run ./cmd/scalestack simulate --cloud digitalocean --tier 100k --traffic stacks/examples/seed-000-launch.yaml --format svg > docs/seed-000-100k.svg

cost: ## the monthly cost of every cloud and tier, beside the seed bands
	$(GO) run ./cmd/scalestack cost tiers

capacity: ## what every cloud and tier carries, its first bottleneck, and its cost over the floor
	$(GO) run ./cmd/scalestack capacity tiers

bench: ## benchmarks: cost diff --preview on a 5,000-step preview; capacity, signals, plan, cost and check of every preset; a day of the 1M tier simulated
	$(GO) test ./cost -run '^$$' -bench . -benchmem
	$(GO) test ./capacity -run '^$$' -bench . -benchmem
	$(GO) test ./signals -run '^$$' -bench . -benchmem
	$(GO) test ./cmd/scalestack -run '^$$' -bench . -benchmem

plan: ## the offline plan of a DigitalOcean 100K stack
	$(GO) run ./cmd/scalestack plan --cloud digitalocean --tier 100k

cloudflare-ips: ## refresh Cloudflare's address ranges from cloudflare.com (needs the internet)
	./scripts/refresh-cloudflare-ips

check: fmt vet lint test ## everything CI runs
