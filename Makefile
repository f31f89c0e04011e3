# Thin wrapper over CMake. The two commands a newcomer needs:
#   make run    install what is missing, build the engine and the console, start the console on a simulated
#               region (prints the URL and a one-time admin token)
#   make test   install, build with ASan/UBSan, run every suite
# Also: make build (release), make web (the console), make bench, make lint, make clean.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_RELEASE := build/release
BUILD_TEST := build/asan
CMAKE_FLAGS ?=
RUN_ARGS ?=

.PHONY: all deps build web run test bench lint clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_RELEASE)/CMakeCache.txt: | deps
	@cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=Release -DORCH_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD_RELEASE)/CMakeCache.txt
	@cmake --build $(BUILD_RELEASE) -j$(JOBS)

web: deps
	@scripts/build-web.sh

run: build web
	@scripts/run.sh $(RUN_ARGS)

test: deps
	@cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=address,undefined $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_TEST) -j$(JOBS)
	@scripts/test.sh $(BUILD_TEST)

bench: build web
	@scripts/bench.sh $(BUILD_RELEASE)

lint: deps
	@scripts/lint.sh

clean:
	rm -rf build
