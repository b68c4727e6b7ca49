# Defines the imported target CUDNN::cudnn (cuDNN ships no CMake package) from the
# library and header next to the CUDA toolkit. Used by the build and, installed, by
# svlrmConfig.cmake, so that an installed svlrm::cudnn finds cuDNN on the user's machine.
# Sets svlrm_CUDNN_FOUND.
set(svlrm_CUDNN_FOUND FALSE)
if(TARGET CUDNN::cudnn)
  set(svlrm_CUDNN_FOUND TRUE)
  return()
endif()
find_library(CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64 ENV CUDNN_ROOT
             PATH_SUFFIXES lib64 lib)
find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include ENV CUDNN_ROOT
          PATH_SUFFIXES include)
if(CUDNN_LIBRARY AND CUDNN_INCLUDE_DIR)
  add_library(CUDNN::cudnn UNKNOWN IMPORTED)
  set_target_properties(CUDNN::cudnn PROPERTIES IMPORTED_LOCATION "${CUDNN_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${CUDNN_INCLUDE_DIR}")
  set(svlrm_CUDNN_FOUND TRUE)
endif()
