# Files named <prefix>_onednn* / <prefix>_cudnn* (tests, benchmarks) belong to a
# backend: they are built only when its target exists, and linked to it.
# Sets OUT to the libraries to link, or to SKIP when the backend is not built.
function(svlrm_backend_libraries name prefix out)
  set(libs "")
  foreach(backend onednn cudnn)
    if(name MATCHES "^${prefix}_${backend}")
      if(NOT TARGET svlrm::${backend})
        set(${out} SKIP PARENT_SCOPE)
        return()
      endif()
      set(libs svlrm::${backend})
    endif()
  endforeach()
  set(${out} "${libs}" PARENT_SCOPE)
endfunction()
