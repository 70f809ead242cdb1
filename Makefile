# eseal: electronic seals, signatures and licenses.
#   make demo    run the main job on the embedded defaults (soft keystore, SQLite)
#   make test    install what the tests need, then run every test
#   make bench   benchmarks with ratios against baselines from the same run
#   make soak    two minutes of mixed API load, checking memory stays flat
#   make lint    gofmt, go vet, staticcheck

GO        ?= go
BUILD     := build
DEMO_DIR  ?= demo-out
# Debian packages the tests use for real (independent verifiers, tokens).
TEST_DEBS := gcc libssl-dev openssl softhsm2 opensc qpdf poppler-utils fonts-wqy-microhei libnss3-tools zbar-tools chromium fonts-noto-cjk
PG_CLUSTER = $(shell ls /etc/postgresql 2>/dev/null | head -1)

.PHONY: all build demo test deps postgres bench soak lint testtoken clean

all: build

build:
	$(GO) build -o $(BUILD)/eseal ./cmd/eseal

# The SM2 PKCS#11 test token (tests build it themselves too).
testtoken:
	@mkdir -p $(BUILD)
	gcc -shared -fPIC -O2 -Wall -pthread -Ihsm/testtoken \
	    -I$$($(GO) list -m -f '{{.Dir}}' github.com/miekg/pkcs11) \
	    -o $(BUILD)/libsm2token.so hsm/testtoken/*.c -lcrypto

# The demo draws the seal in a Chinese font; as root it installs one if
# missing (without one the seal picture has no text).
demo: build
	@if [ "$$(id -u)" = 0 ] && ! dpkg-query -W -f='$${Status}' fonts-wqy-microhei 2>/dev/null | grep -q "install ok installed"; then \
	    echo "installing fonts-wqy-microhei for the seal picture"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null) || true; \
	fi
	$(BUILD)/eseal demo --dir $(DEMO_DIR)

# Install the missing Debian packages (as root, through apt), then make sure
# PostgreSQL answers on 127.0.0.1:5432.
deps:
	@missing=""; for p in $(TEST_DEBS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "installing:$$missing"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	    else \
	        echo "missing Debian packages:$$missing (run make test as root, or: sudo apt-get install$$missing)"; \
	    fi; \
	fi

postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	    echo "starting PostgreSQL ($(PG_CLUSTER))"; \
	    pg_ctlcluster --skip-systemctl-redirect $(PG_CLUSTER) main start || pg_ctlcluster $(PG_CLUSTER) main start; \
	    for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

test: deps postgres
	$(GO) mod download
	CI=$${CI:-true} $(GO) test -count=1 -timeout 40m ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -count 3 -timeout 60m ./... 2>&1 | $(GO) run ./internal/benchtable

# Two minutes of mixed load through the API on loopback, watching memory.
soak: postgres
	ESEAL_SOAK=1 $(GO) test -count=1 -run TestSoak -v -timeout 20m ./cmd/eseal/

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

clean:
	rm -rf $(BUILD) $(DEMO_DIR)
