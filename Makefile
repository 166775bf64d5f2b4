# dhis2sync — run `make help` for the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

MOD       := github.com/dhis2sync/dhis2sync
BIN       := $(CURDIR)/.bin
TOOLS     := $(CURDIR)/.tools
TOOLS_BIN := $(TOOLS)/bin
export PATH := $(TOOLS_BIN):$(TOOLS)/npm/node_modules/.bin:$(PATH)

BUF_VERSION             := 1.75.0
PROTOC_GEN_GO           := v1.36.12
PROTOC_GEN_GO_GRPC      := v1.6.2
GRPC_GATEWAY            := v2.33.0
# staticcheck 2026.2.2, the first release series that knows Go 1.26.
STATICCHECK_VERSION     := v0.8.2
STATICCHECK             := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck

PACKAGES := $(MOD)/proto/... $(MOD)/services/... $(MOD)/gateway/... $(MOD)/frontend/...
TEST_TIMEOUT ?= 20m

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: demo
demo: build ## Start everything with two simulated DHIS2 instances, run a sync, print the dashboard URL
	deploy/demo.sh

.PHONY: test
test: build ## Run every test (unit, integration against PostgreSQL and NATS, end to end)
	deploy/ensure-chromium.sh
	eval "$$(deploy/infra.sh postgres)"; \
	DHIS2SYNC_TEST_DATABASE_URL="$$DHIS2SYNC_PG_URL" DHIS2SYNC_BIN="$(BIN)" \
	go test -count=1 -timeout $(TEST_TIMEOUT) $(PACKAGES)

.PHONY: test-race
test-race: build ## Run every test with the race detector (slower; the services are concurrent by design)
	deploy/ensure-chromium.sh
	eval "$$(deploy/infra.sh postgres)"; \
	DHIS2SYNC_TEST_DATABASE_URL="$$DHIS2SYNC_PG_URL" DHIS2SYNC_BIN="$(BIN)" \
	go test -race -count=1 -timeout 40m $(PACKAGES)

.PHONY: up
up: build ## Start the stack (services, gateway, frontend) in the background
	deploy/stack.sh up

.PHONY: down
down: ## Stop what `make up` or `make demo` started
	deploy/stack.sh down

.PHONY: build
build: frontend-assets ## Build every binary into .bin/
	mkdir -p $(BIN)
	go build -o $(BIN)/ $(MOD)/services/cmd/...
	if [ -f gateway/main.go ]; then go build -o $(BIN)/gateway $(MOD)/gateway; fi
	if [ -f frontend/main.go ]; then go build -o $(BIN)/frontend $(MOD)/frontend; fi

.PHONY: frontend-assets
frontend-assets: ## Vendor htmx, its SSE extension, Bootstrap and Chart.js from npm (pinned) into the frontend
	if [ -x frontend/scripts/vendor-assets.sh ]; then frontend/scripts/vendor-assets.sh; fi

.PHONY: bench
bench: build ## Run the benchmarks (long; not part of make test)
	eval "$$(deploy/infra.sh postgres)"; \
	DHIS2SYNC_TEST_DATABASE_URL="$$DHIS2SYNC_PG_URL" DHIS2SYNC_BIN="$(BIN)" \
	go test -run '^$$' -bench . -benchmem -timeout 60m $(PACKAGES)

.PHONY: bench-stack
bench-stack: build ## Sync the large demo (1M data values) between real processes; print time and peak memory per process
	deploy/bench-stack.sh

.PHONY: tools
tools: $(TOOLS_BIN)/protoc-gen-go $(TOOLS_BIN)/protoc-gen-go-grpc $(TOOLS_BIN)/protoc-gen-grpc-gateway $(TOOLS_BIN)/protoc-gen-openapiv2 $(TOOLS)/npm/node_modules/.bin/buf ## Install pinned buf and protoc plugins into .tools/

$(TOOLS_BIN)/protoc-gen-go:
	GOBIN=$(TOOLS_BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO)
$(TOOLS_BIN)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS_BIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC)
$(TOOLS_BIN)/protoc-gen-grpc-gateway $(TOOLS_BIN)/protoc-gen-openapiv2:
	GOBIN=$(TOOLS_BIN) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY) github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY)
# buf from npm: a prebuilt binary in a registry package (seconds, where `go install` takes minutes).
$(TOOLS)/npm/node_modules/.bin/buf:
	npm install --silent --no-audit --no-fund --prefix $(TOOLS)/npm @bufbuild/buf@$(BUF_VERSION)

.PHONY: generate
generate: tools ## Regenerate Go, grpc-gateway and OpenAPI code from the protos
	buf format -w --path proto/dhis2sync
	buf lint
	buf generate

.PHONY: check-generated
check-generated: generate ## Fail if the committed generated code differs from what the protos generate
	git diff --exit-code -- proto || { echo "generated code is stale: run make generate and commit"; exit 1; }
	test -z "$$(git status --porcelain -- proto)" || { git status --porcelain -- proto; echo "untracked generated files: run make generate and commit"; exit 1; }

BREAKING_AGAINST ?= .git\#branch=main

.PHONY: breaking
breaking: tools ## Check the protos for breaking changes against main (BREAKING_AGAINST=… to compare with another ref)
	buf breaking --against '$(BREAKING_AGAINST)'

# Installed from the Go module proxy into a directory named after its version, so bumping the version installs
# the new one (the first install compiles it: a few minutes on a busy machine).
$(STATICCHECK):
	GOBIN=$(dir $(STATICCHECK)) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: lint
lint: tools $(STATICCHECK) ## buf lint, go vet, gofmt and staticcheck (pinned, installed into .tools/)
	buf lint
	go vet $(PACKAGES)
	test -z "$$(gofmt -l proto services gateway frontend)" || { gofmt -l proto services gateway frontend; exit 1; }
	$(STATICCHECK) $(PACKAGES)
