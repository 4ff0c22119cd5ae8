# complaintd — see README.md.
GO        ?= go
TESTFLAGS ?=
# The packages make test runs (CI runs them in two sets, see .ci/run).
PKGS      ?= ./...
# staticcheck version CI installs; `make lint` uses it when present.
STATICCHECK_VERSION ?= v0.8.2
# The release name `complaintd version` prints next to the VCS revision that
# -buildvcs=true embeds (this repository's go env sets GOFLAGS=-buildvcs=false).
# The revision and time are passed too: Go stamps them only in a checkout
# whose .git is a directory (not in a git worktree).
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
COMMIT_TIME ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
LDFLAGS   ?= -X main.releaseVersion=$(VERSION) -X main.releaseCommit=$(COMMIT) -X main.releaseTime=$(COMMIT_TIME)

.PHONY: all build test demo bench bench-compare fuzz lint clean corpus

all: build

build:
	$(GO) build -buildvcs=true -ldflags '$(LDFLAGS)' -o bin/complaintd ./cmd/complaintd

# Unit, corpus and end-to-end tests. Set TEST_DATABASE_URL (a PostgreSQL URL)
# to run every database test on PostgreSQL as well as SQLite. CI runs it with
# TESTFLAGS="-race -shuffle=on …" (.ci/run). The timeout is per package, a
# bound for a hung test only: cmd/complaintd, the longest, takes about
# 2 minutes, and 4 under -race in CI.
test:
	$(GO) test -count=1 -timeout 20m $(TESTFLAGS) $(PKGS)

# The whole job on built-in servers and sample complaints; no configuration.
# The servers are the demo program's (cmd/complaintd-demo), not the daemon's:
# it runs the complaintd binary just built.
demo: build
	$(GO) run ./cmd/complaintd-demo -complaintd bin/complaintd

# End-to-end throughput and memory: 5,000 messages from the in-process IMAP
# server to the in-process SMTP server, on SQLite (and PostgreSQL when
# TEST_DATABASE_URL is set), plus one 25 MB message; the latency from APPEND
# to an accepted confirmation on a real Dovecot with IDLE at 10 and 50 msg/s
# (BenchmarkLatencyIdle; it skips, saying so, when Dovecot is not installed);
# and the hostile shapes of issue 9 (BenchmarkHostile: parse and process,
# each within 256 MB/10 s).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -benchmem -timeout 30m ./cmd/complaintd/ ./mailbox/ ./workflow/

# BenchmarkEndToEnd of an older commit (OLD, default the last main before
# issue 14) and of this tree, one after the other (.ci/bench-compare).
OLD ?= 07b7447
bench-compare:
	GO=$(GO) .ci/bench-compare $(OLD)

# Every fuzz target of the module for FUZZTIME each (.ci/fuzz).
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) .ci/fuzz

# The classifier and reply extractor measured on every labelled message
# (../shared/corpus, testdata/corpus, testdata/clients): a table, failing
# under issue 12's thresholds (README "Recognising machine mail").
corpus:
	$(GO) test ./workflow -run '^TestCorpusReport$$' -v -count=1

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed: go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)"; fi

clean:
	rm -rf bin
