# The interface to scanhub's build. Every target installs what it needs first.
#   make run    build, make a sample library (or use LIBRARY=/path), serve it and scan it
#   make test   build and run every test (unit, integration, end-to-end)
#   make bench  build and run the benchmarks (see BENCHMARKS.md)
BUILD ?= build
PORT ?= 5031
LIBRARY ?=
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCANHUB_WERROR=ON

.PHONY: all deps build run test bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD)

run: build
	@scripts/run-demo "$(BUILD)" "$(PORT)" "$(LIBRARY)"

test: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 900 -j2

bench: build
	@scripts/run-benchmarks "$(BUILD)"

clean:
	rm -rf $(BUILD)
