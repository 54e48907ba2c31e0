# Run by CTest (tests/layers/CMakeLists.txt) for one library: proves that the build
# enforces the layering ARCHITECTURE.md draws.
#   - With the include directories the library's own files compile with, a header of
#     every folder in ALLOWED is found, and a header of every other folder is not: an
#     include that points up or sideways fails to build.
#   - No header of the library's folder pulls FFmpeg's headers in (libav types stay
#     behind decode/), except the FFMPEG_HEADERS that decode/ exposes on purpose.
# Arguments (-D): CXX, INCLUDES (directories joined by '|'), FOLDER (the library's own
# folder name), FOLDER_DIR (its source directory), ALLOWED (folders joined by '|'),
# PROBES (folder=header pairs joined by '|', one for every folder of the tree),
# FFMPEG_HEADERS (file names of FOLDER allowed to include FFmpeg, joined by '|').
cmake_minimum_required(VERSION 3.25)
string(REPLACE "|" ";" includes "${INCLUDES}")
string(REPLACE "|" ";" allowed "${ALLOWED}")
string(REPLACE "|" ";" probes "${PROBES}")
string(REPLACE "|" ";" ffmpeg_headers "${FFMPEG_HEADERS}")
set(flags -std=c++20)
foreach(dir IN LISTS includes)
  list(APPEND flags "-I${dir}")
endforeach()

set(failures "")
foreach(probe IN LISTS probes)
  string(REPLACE "=" ";" pair "${probe}")
  list(GET pair 0 folder)
  list(GET pair 1 header)
  execute_process(COMMAND ${CXX} ${flags} -E -o /dev/null -x c++ -include ${header} /dev/null
                  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  list(FIND allowed ${folder} at)
  if(at GREATER_EQUAL 0)
    if(NOT rc EQUAL 0)
      string(APPEND failures "  ${FOLDER} may include ${folder}/ but ${header} did not preprocess:\n${err}\n")
    endif()
  else()
    # The failure must be the header not being found, not some other error.
    string(REGEX MATCH "${header}[^\n]*(No such file|not found)" missing "${err}")
    if(rc EQUAL 0 OR NOT missing)
      string(APPEND failures "  ${FOLDER} must not see ${folder}/, yet ${header} was found (rc ${rc})\n")
    endif()
  endif()
endforeach()

file(GLOB headers RELATIVE ${FOLDER_DIR} ${FOLDER_DIR}/*.h)
foreach(header IN LISTS headers)
  list(FIND ffmpeg_headers ${header} exempt)
  if(exempt GREATER_EQUAL 0)
    continue()
  endif()
  execute_process(COMMAND ${CXX} ${flags} -M -x c++ -include ${FOLDER}/${header} /dev/null
                  RESULT_VARIABLE rc OUTPUT_VARIABLE deps ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(APPEND failures "  ${FOLDER}/${header} does not preprocess on its own:\n${err}\n")
  elseif(deps MATCHES "/(libavcodec|libavformat|libavutil|libswscale)/")
    string(APPEND failures "  ${FOLDER}/${header} includes FFmpeg's headers (keep them behind decode/)\n")
  endif()
endforeach()

if(failures)
  message(FATAL_ERROR "layering broken for ${FOLDER}:\n${failures}")
endif()
list(LENGTH probes probe_count)
list(LENGTH headers header_count)
message(STATUS "${FOLDER}: ${probe_count} folders probed, ${header_count} headers checked for FFmpeg")
