# Tests that are not Catch2 executables.

# A separate project consumes svlrm through find_package and through add_subdirectory.
add_test(NAME consumer_project
  COMMAND ${CMAKE_COMMAND} -DSVLRM_BINARY_DIR=${PROJECT_BINARY_DIR} -DSVLRM_SOURCE_DIR=${PROJECT_SOURCE_DIR}
          -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/consumer -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.cmake)
set_tests_properties(consumer_project PROPERTIES TIMEOUT 600)

# The Python tools' own tests (exporter, safetensors writer, PyTorch module, trainer parts):
# the package `tools`, run from the source tree.
add_test(NAME python_tools
  COMMAND ${Python3_EXECUTABLE} -m unittest discover -s tools/tests -t . -p "test_*.py"
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(python_tools PROPERTIES TIMEOUT 600)

# tests/test_cli.cpp (built by the glob above) reads and writes image files, and runs
# the svlrm command-line tool when it is built (with the examples).
if(TARGET test_cli)
  target_link_libraries(test_cli PRIVATE svlrm_program_common)
  if(SVLRM_BUILD_EXAMPLES)
    target_compile_definitions(test_cli PRIVATE SVLRM_CLI_PATH="$<TARGET_FILE:svlrm_cli>")
    add_dependencies(test_cli svlrm_cli)
  endif()
endif()

# tests/test_trainer_bicubic.cpp writes and reads .npy files.
if(TARGET test_trainer_bicubic)
  target_link_libraries(test_trainer_bicubic PRIVATE svlrm_program_common)
endif()

# The Python package (python/): pytest on the build tree's package, against the
# command-line tool when it is built, and the Python tools (the source tree's `tools`).
if(TARGET svlrm_python)
  set(_python_env PYTHONPATH=${SVLRM_PYTHON_PACKAGE_DIR}:${PROJECT_SOURCE_DIR} SVLRM_SOURCE_DIR=${PROJECT_SOURCE_DIR}
      SVLRM_DATA_DIR=${SVLRM_DATA_DIR} OMP_NUM_THREADS=1)
  if(SVLRM_BUILD_EXAMPLES)
    list(APPEND _python_env SVLRM_CLI=$<TARGET_FILE:svlrm_cli>)
  endif()
  foreach(_part api errors threads dask)
    add_test(NAME python_${_part}
      COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider ${PROJECT_SOURCE_DIR}/python/tests/test_${_part}.py
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(python_${_part} PROPERTIES TIMEOUT 900 ENVIRONMENT "${_python_env}")
  endforeach()
endif()
