#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of the parsers that take bytes from the network.
#
#   bash Tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   build, then fuzz each target (default 30 s, all targets)
#   bash Tests/fuzz/run.sh --replay [TARGET...]               build, then run the saved reproducers in Tests/fuzz/crashes/
#
# Targets: json ndjson media forwarded (see Tests/fuzz/README.md). Exits non-zero on any crash, build failure or
# missing fuzzer runtime. The harnesses compile the project's own source files directly with swiftc (no SwiftPM).
#
# Environment:
#   SWIFTC          the compiler (default: swiftc on PATH, else /opt/swift/usr/bin/swiftc)
#   FUZZ_BUILD_DIR  binaries, logs, working corpora and crash artifacts (default: Tests/fuzz/.build-fuzz, git-ignored)
#   FUZZ_OPT        optimisation flag (default: -Onone below 120 s per target, since building costs more than it saves;
#                   -O from 120 s on, about twice the executions per second)
#   FUZZ_SKIP       contract checks to switch off, comma-separated (default: the known, reported findings below; set
#                   it to the empty string to check everything)
#   FUZZ_JOBS       parallel builds (default 2)
#   FUZZ_PARALLEL   targets fuzzed at a time (default 2 below 120 s per target, else 1)
#   FUZZ_ARGS       extra libFuzzer flags for every target (e.g. "-seed=1" or "-jobs=2")
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CORE="$ROOT/Sources/PortcullisCore"
ALL_TARGETS=(json ndjson media forwarded)
# Builds and fuzzers run in the background (where bash ignores Ctrl-C): stop them with the script.
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM

# Known findings that are reported but not fixed yet (README, "Contract checks and known findings"): the default
# run does not fail on them.
# Remove a name here when its fix lands; `run.sh --replay` always checks everything.
DEFAULT_SKIP=""

replay=0
seconds=30
if [[ "${1:-}" == "--replay" ]]; then
    replay=1
    shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
elif [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,/^set -uo/p' "$0" | grep '^#' | cut -c3-
    exit 0
fi
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
    case "$t" in json|ndjson|media|forwarded) ;; *) echo "run.sh: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2; exit 2 ;; esac
done

# Which files each harness compiles (into the array `files`): project sources named here, found by name anywhere under
# Sources/PortcullisCore (files move between folders), nothing stubbed. Not the whole Model folder: some of its files
# need swift-crypto (APIKeySecret → Support/Crypto.swift); these are the ones the parsers need.
MODEL_FILES=(JSONParser FlatJSONObject JSONValue PortcullisError Identifier Action Entities Inputs Inputs+Teams Inputs+Content Validate CheckRequest Timestamp)
core_file() {
    local found
    found="$(find "$CORE" -name "$1.swift" -print 2>/dev/null | sort | head -n 1)"
    echo "${found:-$CORE/?/$1.swift}" # a missing file is reported by build()
}
sources() {
    local h="$HERE/harness" name model=()
    for name in "${MODEL_FILES[@]}"; do model+=("$(core_file "$name")"); done
    case "$1" in
        json)      files=("$h/json.swift" "$h/common/Invariant.swift" "$h/common/JSONChecks.swift" "${model[@]}") ;;
        ndjson)    files=("$h/ndjson.swift" "$h/common/Invariant.swift" "$h/common/JSONChecks.swift" "${model[@]}" "$(core_file LineReader)") ;;
        media)     files=("$h/media.swift" "$h/common/Invariant.swift" "$(core_file MediaGrant)" "${model[@]}") ;;
        forwarded) files=("$h/forwarded.swift" "$h/common/Invariant.swift" "$(core_file ClientAddress)") ;;
    esac
}
max_len() { case "$1" in json) echo 4096 ;; ndjson) echo 8192 ;; media) echo 2048 ;; forwarded) echo 512 ;; esac; }

# --- toolchain and fuzzer runtime -------------------------------------------------------------------------------------
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
if [[ ! -x "$SWIFTC" ]]; then
    echo "run.sh: no swiftc (set SWIFTC, or put the Swift toolchain's bin on PATH)" >&2
    exit 2
fi
TOOLBIN="$(dirname "$(readlink -f "$SWIFTC")")"
ARCH="$(uname -m)"
RESOURCE="$(cd "$TOOLBIN/../lib/swift" 2>/dev/null && pwd)"
TOOLCHAIN_FUZZER="$RESOURCE/clang/lib/linux/libclang_rt.fuzzer-$ARCH.a"
DEBIAN_PACKAGE="libclang-rt-14-dev"

if [[ -f "$TOOLCHAIN_FUZZER" ]]; then
    # The Swift toolchain ships libFuzzer (swift.org's Linux toolchains do): plain -sanitize=fuzzer.
    RUNTIME="swift toolchain ($TOOLCHAIN_FUZZER)"
    SANITIZE=(-sanitize=fuzzer,address)
else
    # A toolchain without compiler-rt's libFuzzer: instrument for it and link Debian's copy (libclang-rt-N-dev).
    DEBIAN_FUZZER="$(ls -1 /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-"$ARCH".a 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z "$DEBIAN_FUZZER" ]]; then
        echo "run.sh: no libFuzzer runtime: neither $TOOLCHAIN_FUZZER (Swift toolchain) nor Debian's" >&2
        echo "        /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-$ARCH.a exists." >&2
        echo "        Install it with:  apt-get install -y $DEBIAN_PACKAGE" >&2
        exit 3
    fi
    RUNTIME="Debian ($DEBIAN_FUZZER)"
    SANITIZE=(-sanitize=address -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
              -Xlinker --whole-archive -Xlinker "$DEBIAN_FUZZER" -Xlinker --no-whole-archive -lstdc++)
fi
LINKER=()
[[ -x "$TOOLBIN/ld.lld" ]] && LINKER=(-use-ld=lld) # gold warns about every ASan symbol

BUILD="${FUZZ_BUILD_DIR:-$HERE/.build-fuzz}"
mkdir -p "$BUILD"
BUILD="$(cd "$BUILD" && pwd)"
if [[ $replay -eq 1 ]]; then OPT="${FUZZ_OPT:--Onone}"; elif [[ $seconds -lt 120 ]]; then OPT="${FUZZ_OPT:--Onone}"; else OPT="${FUZZ_OPT:--O}"; fi
export SWIFT_BACKTRACE=enable=no # the Swift runtime's backtracer hangs under libFuzzer; libFuzzer and ASan print the stack
[[ -x "$TOOLBIN/llvm-symbolizer" ]] && export ASAN_SYMBOLIZER_PATH="$TOOLBIN/llvm-symbolizer"
export FUZZ_SKIP="${FUZZ_SKIP-$DEFAULT_SKIP}"
[[ $replay -eq 1 ]] && export FUZZ_SKIP=""

echo "== Portcullis fuzzing: ${targets[*]} | $( [[ $replay -eq 1 ]] && echo replay || echo "${seconds}s per target") | $OPT | runtime: $RUNTIME"
echo "   swiftc: $("$SWIFTC" --version 2>&1 | head -n 1)"
echo "   FUZZ_SKIP=${FUZZ_SKIP:-<none>}   build dir: $BUILD"

# --- build --------------------------------------------------------------------------------------------------------------
# The core's folders are modules (PortcullisModel, …); a harness compiles the files it needs into one module, so each
# project source is compiled from a copy in $BUILD/src/<target>/ whose `import Portcullis…` lines are blanked (line
# numbers stay those of Sources/). Anything a file really uses from elsewhere then fails to compile, visibly.
build() {
    local t="$1" bin="$BUILD/$1" flags f copy files=() compiled=()
    sources "$t"
    rm -f "$BUILD/$t.build.log"
    for f in "${files[@]}"; do
        if [[ ! -f "$f" ]]; then
            rm -f "$bin" "$BUILD/$t.flags"
            echo "missing source file ${f#"$ROOT"/} (not found under Sources/PortcullisCore)" > "$BUILD/$t.build.log"
            return 1
        fi
    done
    flags="$SWIFTC ${SANITIZE[*]} ${LINKER[*]} $OPT -g -parse-as-library -module-name Fuzz_$t -package-name Portcullis -lm ${files[*]}"
    if [[ -x "$bin" && -f "$BUILD/$t.flags" && "$(cat "$BUILD/$t.flags")" == "$flags" ]] \
        && [[ -z "$(find "${files[@]}" -newer "$bin" 2>/dev/null)" ]]; then
        echo "   $t: up to date"
        return 0
    fi
    rm -rf "$BUILD/src/$t"
    for f in "${files[@]}"; do
        if [[ "$f" == "$CORE"/* ]]; then
            copy="$BUILD/src/$t/${f#"$ROOT"/}"
            mkdir -p "$(dirname "$copy")"
            sed -E 's/^(@_exported |@testable |public |package )?import Portcullis[A-Za-z]*[[:space:]]*$//' "$f" > "$copy"
            compiled+=("$copy")
        else
            compiled+=("$f")
        fi
    done
    local start=$SECONDS
    if "$SWIFTC" "${SANITIZE[@]}" "${LINKER[@]}" "$OPT" -g -parse-as-library -module-name "Fuzz_$t" -package-name Portcullis -lm \
        "${compiled[@]}" -o "$bin" > "$BUILD/$t.build.log" 2>&1; then
        echo "$flags" > "$BUILD/$t.flags"
        echo "   $t: built in $((SECONDS - start)) s (${#files[@]} files: ${files[*]#"$ROOT"/})"
    else
        rm -f "$bin" "$BUILD/$t.flags"
        return 1
    fi
}

echo "== build"
jobs_max="${FUZZ_JOBS:-2}"
for t in "${targets[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $jobs_max ]]; do wait -n; done
    build "$t" &
done
build_failed=0
wait # statuses are read from the outputs: `wait -n` above may already have reaped a build
for t in "${targets[@]}"; do
    if [[ ! -x "$BUILD/$t" || ! -f "$BUILD/$t.flags" ]]; then
        echo "!! build of '$t' failed; compiler output ($BUILD/$t.build.log):" >&2
        grep -v 'Cannot export local symbol' "$BUILD/$t.build.log" | head -n 60 >&2
        build_failed=1
    fi
done
if [[ $build_failed -ne 0 ]]; then
    if grep -qs -e 'sanitizer' -e 'libclang_rt' "$BUILD"/*.build.log; then
        echo "run.sh: the link of the fuzzer runtime failed; on Debian install it with: apt-get install -y $DEBIAN_PACKAGE" >&2
    fi
    exit 4
fi

# --- replay ---------------------------------------------------------------------------------------------------------------
if [[ $replay -eq 1 ]]; then
    still=0
    for t in "${targets[@]}"; do
        for f in "$HERE/crashes/$t"/*; do
            [[ -f "$f" && "$(basename "$f")" != *.md ]] || continue
            if "$BUILD/$t" -runs=1 "$f" > "$BUILD/replay.log" 2>&1; then
                echo "   fixed       $t ${f#"$ROOT"/}"
            else
                echo "   STILL FAILS $t ${f#"$ROOT"/}: $(grep -m1 -E 'Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer' "$BUILD/replay.log")"
                still=$((still + 1))
            fi
        done
    done
    echo "== replay: $still reproducer(s) still failing"
    [[ $still -eq 0 ]]
    exit $?
fi

# --- fuzz -------------------------------------------------------------------------------------------------------------------
# One target: fuzz it, then write its summary line to $BUILD/$t.summary and what to tell about it to $BUILD/$t.report.
# Exit status 0 when clean, 1 on a crash (or a fuzzer that did not run).
fuzz_target() {
    local t="$1" work="$BUILD/corpus/$1" artifacts="$BUILD/artifacts/$1" log="$BUILD/$1.fuzz.log" report="$BUILD/$1.report"
    mkdir -p "$work" "$artifacts"
    : > "$report"
    rm -f "$BUILD/$t.summary"
    local before status execs rate rss last cov ft corp new_artifacts crashes=0 artifact
    before=$(ls -1 "$artifacts" | wc -l)
    # shellcheck disable=SC2086
    "$BUILD/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
        -dict="$HERE/dict/$t.dict" -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$work" "$HERE/corpus/$t" > "$log" 2>&1
    status=$?
    execs=$(grep -m1 '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
    rate=$(grep -m1 '^stat::average_exec_per_sec:' "$log" | awk '{print $2}')
    rss=$(grep -m1 '^stat::peak_rss_mb:' "$log" | awk '{print $2}')
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<< "$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<< "$last")
    corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<< "$last")
    [[ -z "$execs" ]] && execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<< "$last")
    new_artifacts=$(( $(ls -1 "$artifacts" | wc -l) - before ))
    if [[ $status -ne 0 && $new_artifacts -eq 0 ]]; then
        crashes="error"
        { echo "!! $t: libFuzzer exited with status $status without a crash input; the end of its log ($log):"
          tail -n 15 "$log"; } >> "$report"
    elif [[ $status -ne 0 || $new_artifacts -gt 0 ]]; then
        crashes=1
        artifact="$artifacts/$(ls -1t "$artifacts" | head -n 1)"
        { echo "!! $t: CRASH (exit $status). Input: $artifact   (log: $log)"
          grep -m1 -E 'Fatal error|ERROR: AddressSanitizer|ERROR: LeakSanitizer|ERROR: libFuzzer|ALARM|out-of-memory' "$log"
          grep -A 30 -E '^==[0-9]+==.*(ERROR|deadly signal)' "$log" | grep -E '^\s+#[0-9]+ ' | head -n 20
          echo "   reproduce:  SWIFT_BACKTRACE=enable=no FUZZ_SKIP='$FUZZ_SKIP' $BUILD/$t $artifact"
          echo "   minimize:   SWIFT_BACKTRACE=enable=no FUZZ_SKIP='$FUZZ_SKIP' $BUILD/$t -minimize_crash=1 -max_total_time=60 $artifact"
        } >> "$report"
    fi
    printf '%-10s execs=%-10s exec/s=%-7s cov=%-5s ft=%-6s corpus=%-12s peak_rss=%sMB crashes=%s\n' \
        "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$crashes" > "$BUILD/$t.summary"
    [[ "$crashes" == 0 ]]
}

# Short runs fuzz two targets at a time (2 cores; keeps `run.sh 20` near a minute and a half with the builds); long runs
# one after the other, so that each target has a core to itself.
if [[ $seconds -lt 120 ]]; then parallel="${FUZZ_PARALLEL:-2}"; else parallel="${FUZZ_PARALLEL:-1}"; fi
echo "== fuzz: ${seconds}s per target, $parallel at a time (logs: $BUILD/<target>.fuzz.log)"
for t in "${targets[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $parallel ]]; do wait -n; done
    echo "   $t: started $(date -u +%H:%M:%SZ)"
    fuzz_target "$t" &
done
crashed=0
summary=()
wait
for t in "${targets[@]}"; do
    [[ -s "$BUILD/$t.report" ]] && cat "$BUILD/$t.report" >&2
    if [[ -f "$BUILD/$t.summary" ]]; then line="$(cat "$BUILD/$t.summary")"; else line="$t  (no result)"; fi
    [[ "$line" == *"crashes=0" ]] || crashed=1
    summary+=("$line")
done

echo "== summary (${seconds}s per target, $OPT, $parallel at a time, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs)"
for line in "${summary[@]}"; do echo "   $line"; done
if [[ $crashed -ne 0 ]]; then
    echo "== FAILED: crash(es) or fuzzer errors; crash inputs under $BUILD/artifacts/" >&2
    exit 1
fi
echo "== OK: no crashes"
