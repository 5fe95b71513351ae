# The two commands of the README, and a few more for developers.
#   make run    set up, build, and run the gateway on config/gateway.yaml
#   make test   set up, build with ASan+UBSan, and run every test
.PHONY: run test build bench format setup clean

JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
TEST_DIR := build/asan

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHAUKAS_BUILD_TESTS=OFF > /dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS) --target chaukas-gateway

run: build
	$(RELEASE_DIR)/bin/chaukas-gateway --config config/gateway.yaml

# Also builds the release gateway: GCC warns about some things only with optimization, and
# -Werror would otherwise break `make run` without any test noticing.
test: build
	@cmake -S . -B $(TEST_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHAUKAS_SANITIZE=ON > /dev/null
	@cmake --build $(TEST_DIR) -j $(JOBS)
	cd $(TEST_DIR) && ctest --output-on-failure -j $(JOBS)

bench:
	@bash scripts/setup.sh --bench
	@cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
	@cmake --build build/bench -j $(JOBS) --target chaukas-gateway reference_server make_bench_bodies paced_client filters_bench
	bash tests/bench/run.sh build/bench
	build/bench/tests/bench/filters_bench

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format-14 -i

clean:
	rm -rf build
