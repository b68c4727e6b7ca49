# Installs the svlrm build tree into a scratch prefix and builds tests/consumer
# against it (find_package), then builds it again from the source tree (add_subdirectory).
# Arguments: -DSVLRM_BINARY_DIR=... -DSVLRM_SOURCE_DIR=... -DWORK_DIR=...
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${SVLRM_BINARY_DIR} --prefix ${prefix})
foreach(mode installed subdirectory)
  set(build ${WORK_DIR}/build-${mode})
  if(mode STREQUAL installed)
    set(args -DCMAKE_PREFIX_PATH=${prefix})
  else()
    set(args -DSVLRM_SOURCE=${SVLRM_SOURCE_DIR})
  endif()
  run(${CMAKE_COMMAND} -S ${SVLRM_SOURCE_DIR}/tests/consumer -B ${build} -DCMAKE_BUILD_TYPE=Release ${args})
  run(${CMAKE_COMMAND} --build ${build})
  run(${build}/consumer)
  message(STATUS "consumer project (${mode}) built and ran")
endforeach()
