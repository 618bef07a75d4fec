# The commands the README tells people to type. The build itself is Meson.
.POSIX:
.PHONY: all deps build run demo test fuzz bench clean

BUILD = build

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD)

# Starts what exists (today porterd) in the foreground, state under ./var.
run: build
	@sh scripts/run.sh

demo: build
	@sh scripts/demo.sh $(BUILD)/porter

test: deps
	@sh scripts/test.sh

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} sh scripts/fuzz.sh

bench: build
	@sh bench/run.sh $(BUILD)
	@sh bench/http.sh $(BUILD)
	@sh bench/http_cg.sh $(BUILD)
	@sh bench/issue.sh $(BUILD)
	@sh bench/durability.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz
