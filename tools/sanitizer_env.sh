# Sourced by tools/test_sanitized.sh and tools/fuzz.sh: the LeakSanitizer and
# UndefinedBehaviorSanitizer settings both use, with the checked-in suppression files. Each script
# sets its own ASAN_OPTIONS (libFuzzer wants fewer of them than ctest does).
SANITIZER_SUPP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/sanitizers" && pwd)
export LSAN_OPTIONS="suppressions=$SANITIZER_SUPP/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$SANITIZER_SUPP/ubsan.supp"
