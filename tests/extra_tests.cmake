# Tests that are not Catch2 executables.

# A separate project consumes svlrm through find_package and through add_subdirectory.
add_test(NAME consumer_project
  COMMAND ${CMAKE_COMMAND} -DSVLRM_BINARY_DIR=${PROJECT_BINARY_DIR} -DSVLRM_SOURCE_DIR=${PROJECT_SOURCE_DIR}
          -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/consumer -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.cmake)
set_tests_properties(consumer_project PROPERTIES TIMEOUT 600)

# The Python tools' own tests (exporter, safetensors writer, PyTorch module).
add_test(NAME python_tools
  COMMAND /usr/bin/python3 -m unittest discover -s tools/tests -p "test_*.py"
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(python_tools PROPERTIES TIMEOUT 600)
