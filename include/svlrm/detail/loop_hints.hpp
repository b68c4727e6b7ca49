// Loop hints of svlrm's row kernels, defined from here to the matching
// loop_hints_end.hpp, which undefines them: they are not part of the API (a user's
// macro of the same name is an error, not silently replaced). A header includes this
// after its own #includes and loop_hints_end.hpp at its end; no include guard, by design.
#ifdef SVLRM_NO_ALIAS
#error "svlrm: SVLRM_NO_ALIAS is svlrm's internal macro; undefine yours before including svlrm"
#endif
#ifdef SVLRM_WIDE_VECTORS
#error "svlrm: SVLRM_WIDE_VECTORS is svlrm's internal macro; undefine yours before including svlrm"
#endif

// Before a loop over a row whose pointers the caller guarantees not to overlap: GCC
// does not take __restrict on local pointers into account, and with more than 10
// pointers it gives up on run-time overlap checks and leaves the loop scalar.
#if defined(__clang__)
#define SVLRM_NO_ALIAS _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define SVLRM_NO_ALIAS _Pragma("GCC ivdep")
#else
#define SVLRM_NO_ALIAS
#endif

// On the row kernels: GCC's tuning for recent Xeons prefers 256-bit vectors even where
// AVX-512 is enabled; these loops (double arithmetic from L1/L2) run faster with 512.
#if defined(__GNUC__) && !defined(__clang__) && defined(__AVX512F__)
#define SVLRM_WIDE_VECTORS __attribute__((target("prefer-vector-width=512")))
#else
#define SVLRM_WIDE_VECTORS
#endif
