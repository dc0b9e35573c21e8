# Thin wrappers over the Go commands a Go developer expects. `make help` lists them.
GO ?= go
STATICCHECK_VERSION := v0.8.2

.PHONY: help build vet fmt lint test fuzz golden plan cost bench cloudflare-ips check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## go build ./...
	$(GO) build ./...

vet: ## go vet ./...
	$(GO) vet ./...

fmt: ## gofmt -l: fail when a file is not formatted
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

lint: ## staticcheck, pinned
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

test: ## go test ./...
	$(GO) test ./...

fuzz: ## fuzz the config parser and the preview reader for a minute each
	$(GO) test ./stacks/config -run '^$$' -fuzz FuzzParse -fuzztime 60s
	$(GO) test ./cost -run '^$$' -fuzz FuzzReadPreview -fuzztime 60s

golden: ## rewrite the golden plans and cost reports after a reviewed change
	$(GO) test ./stacks -update

cost: ## the monthly cost of every cloud and tier, beside the seed bands
	$(GO) run ./cmd/scalestack cost tiers

bench: ## benchmarks: cost diff --preview on a 5,000-step preview
	$(GO) test ./cost -run '^$$' -bench . -benchmem

plan: ## the offline plan of a DigitalOcean 100K stack
	$(GO) run ./cmd/scalestack plan --cloud digitalocean --tier 100k

cloudflare-ips: ## refresh Cloudflare's address ranges from cloudflare.com (needs the internet)
	./scripts/refresh-cloudflare-ips

check: fmt vet lint test ## everything CI runs
