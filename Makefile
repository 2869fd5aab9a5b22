# FaceMatch build. `make run` and `make test` do every set-up step themselves, idempotently.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
DOTNET ?= dotnet
RID := linux-x64
OUT := out
NATIVE_BUILD := build/native
MODELS := models
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

# bin/ and obj/ are left out: every `dotnet build` or `dotnet test` rewrites generated sources there, which would
# republish the executable (and reconvert the models) on the next make without a source having changed.
CS_SOURCES := $(shell find src \( -name bin -o -name obj \) -prune -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.proto' \) -print 2>/dev/null) Directory.Build.props
NATIVE_SOURCES := $(shell find native -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name 'CMakeLists.txt' 2>/dev/null) $(wildcard CMakeLists.txt)

.PHONY: all deps native build models run test load gpu bench bench-compare clean node-deps image cluster

all: build

## deps: Debian packages and pinned npm tarballs (integrity-checked), only what is missing.
deps:
	@scripts/install-system-packages.sh
	@scripts/fetch-npm-packages.sh

## native: the C library Vision P/Invokes (image codecs, warps).
native: deps $(NATIVE_BUILD)/.built
$(NATIVE_BUILD)/.built: $(NATIVE_SOURCES)
	@if [ -f CMakeLists.txt ]; then \
	  cmake -S . -B $(NATIVE_BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build $(NATIVE_BUILD) -j2; \
	fi
	@mkdir -p $(NATIVE_BUILD) && touch $@

## build: one self-contained executable at ./out/facematch, native libraries beside it (ONNX Runtime's
## libonnxruntime.so from its NuGet package, and ours). Native libraries stay files next to the executable
## (IncludeNativeLibrariesForSelfExtract=false), where the runtime looks for them.
PUBLISH = $(DOTNET) publish src/FaceMatch.Cli/FaceMatch.Cli.csproj -c Release -r $(RID) --self-contained \
	  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=false -p:DebugType=none \
	  -o $(OUT) --nologo -v quiet
# Each publish starts without the executable and ONNX Runtime's libraries: the CPU and GPU packages ship files of
# the same names and publish skips a file whose copy in out/ is newer (out/ would mix the two runtimes), and a
# publish that finds the bundle up to date leaves the native libraries out, deleting them from out/.
CLEAR_PUBLISHED = rm -f $(OUT)/facematch $(OUT)/libonnxruntime*.so
build: native $(OUT)/facematch
$(OUT)/facematch: $(CS_SOURCES) $(NATIVE_BUILD)/.built
	@$(CLEAR_PUBLISHED)
	$(PUBLISH)
	@cp -f $(NATIVE_BUILD)/*.so $(OUT)/ 2>/dev/null || true
	@touch $@

## models: convert the chosen models into models/ and write models/manifest.json.
models: build $(MODELS)/.converted
$(MODELS)/.converted: $(OUT)/facematch deps/npm-packages.txt
	$(OUT)/facematch models convert --deps .deps --out $(MODELS)
	@touch $@

run: build models
	$(OUT)/facematch serve

## node-deps: the pinned Node packages of the parity and interop tests (each tests/*/*/package.json
## with its package-lock.json), installed by `npm ci` only when a lock file changed.
NODE_TEST_DIRS := $(patsubst %/package.json,%,$(wildcard tests/*/*/package.json))
node-deps: $(addsuffix /node_modules/.installed,$(NODE_TEST_DIRS))
tests/%/node_modules/.installed: tests/%/package.json tests/%/package-lock.json
	cd tests/$* && npm ci --prefer-offline --no-audit --no-fund --loglevel=error
	@touch $@

## test: everything CI checks (see scripts/run-tests.sh).
test: build models node-deps
	@scripts/run-tests.sh

## load: a short mixed load run (about 20 s, open loop, ../shared's photos) against a `facematch serve` it starts on
## free loopback ports with a temporary data directory and stops after; reports in build/load/ (load/run-local.sh;
## LOAD_RATE, LOAD_DURATION, LOAD_MIX, LOAD_PHOTOS and LOAD_OUT change it).
load: build models
	@load/run-local.sh

## cluster: a local scale-out deployment on loopback (scripts/run-cluster.sh): a Redis Cluster of 3 primaries with a
## replica each and 3 `facematch serve` replicas with FACEMATCH_STORE=cluster over it, one admin token; prints
## FACEMATCH_ENDPOINTS=..., STORE_ENDPOINTS=... and FACEMATCH_ADMIN_TOKEN_FILE=... once all answer health, runs until
## interrupted, then stops everything (CLUSTER_PRIMARIES, CLUSTER_REPLICAS, CLUSTER_KEEP=1 change it).
cluster: build models
	@scripts/run-cluster.sh

## gpu: the CUDA build: out/ republished with ONNX Runtime's GPU package (-p:FaceMatchGpu=true swaps
## src/FaceMatch.Models' reference to Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0, whose CUDA provider links
## cuBLAS/cuBLASLt 13, cudart 13 and cuRAND 10), and the CUDA kernels when nvcc is present. Run with
## FACEMATCH_DEVICE=cuda and the CUDA 13 libraries on LD_LIBRARY_PATH.
gpu: build
	@$(CLEAR_PUBLISHED)
	$(PUBLISH) -p:FaceMatchGpu=true
	@if command -v nvcc >/dev/null; then \
	  cmake -S . -B build/native-cuda -DCMAKE_BUILD_TYPE=Release -DFACEMATCH_CUDA=ON >/dev/null && cmake --build build/native-cuda -j2 && cp -f build/native-cuda/*.so $(OUT)/; \
	else echo "gpu: nvcc not found, CUDA kernels not built (ONNX Runtime's CUDA provider is installed)"; fi

## image: the CPU container image as an OCI archive, built without a Docker engine (debootstrap root filesystem,
## needs root), then smoke-tested by running its entrypoint in that filesystem (scripts/build-oci-image.sh).
image: build models
	@scripts/build-oci-image.sh

bench: build
	$(DOTNET) run -c Release --project bench/FaceMatch.Bench -- $(ARGS)

## bench-compare: bench/compare/run.sh, FaceMatch against face-api and Human on the same photos (ARGS passed on,
## e.g. ARGS=--quick), with its pinned Node packages installed by `npm ci` only when the lock file changed.
bench-compare: build models bench/compare/node_modules/.installed
	bench/compare/run.sh $(ARGS)
bench/compare/node_modules/.installed: bench/compare/package.json bench/compare/package-lock.json
	cd bench/compare && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf $(OUT) build $(MODELS)/*.onnx $(MODELS)/manifest.json $(MODELS)/.converted
	find . -name bin -o -name obj -type d -prune -exec rm -rf {} + 2>/dev/null || true
