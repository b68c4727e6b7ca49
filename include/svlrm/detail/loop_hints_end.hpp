// The end of detail/loop_hints.hpp's macros.
#undef SVLRM_NO_ALIAS
#undef SVLRM_WIDE_VECTORS
