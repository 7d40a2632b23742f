# The pybind11 module is loaded inside GDB, so it must be built for the Python
# that GDB embeds, not for whatever `python3` is first on PATH (a pyenv build
# here).  Ask GDB which Python it runs and point FindPython at that interpreter.
if(NOT Python_EXECUTABLE)
  find_program(GDB_PROGRAM gdb REQUIRED)
  execute_process(
    COMMAND ${GDB_PROGRAM} -nx -batch -ex
      "python import sys, os; print(os.path.join(sys.base_exec_prefix, 'bin', 'python%d.%d' % sys.version_info[:2]))"
    OUTPUT_VARIABLE _gdb_python OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _gdb_rc)
  if(NOT _gdb_rc EQUAL 0 OR NOT EXISTS "${_gdb_python}")
    message(FATAL_ERROR "cgostack: cannot find the Python that GDB embeds (got '${_gdb_python}'); "
                        "install gdb with Python support or pass -DPython_EXECUTABLE=...")
  endif()
  set(Python_EXECUTABLE "${_gdb_python}" CACHE FILEPATH "Python embedded in GDB")
endif()
find_package(Python 3.8 REQUIRED COMPONENTS Interpreter Development.Module)
set(PYBIND11_FINDPYTHON ON)
message(STATUS "cgostack: building the GDB module for ${Python_EXECUTABLE} (${Python_VERSION})")
