# cmake -DFUZZER=path -DCORPUS=dir -DCRASHES=dir -P replay.cmake
# Runs every seed of CORPUS once through the fuzz target (one process), then
# every reproducer in CRASHES in its own process, so that every one still
# failing is named, not only the first.
execute_process(COMMAND "${FUZZER}" -runs=0 "${CORPUS}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message("${out}")
  message(FATAL_ERROR "a seed in ${CORPUS} fails")
endif()
set(failed "")
set(n 0)
file(GLOB files "${CRASHES}/*")
foreach(f ${files})
  if(IS_DIRECTORY "${f}" OR f MATCHES "/\\.gitkeep$|\\.md$")
    continue()
  endif()
  math(EXPR n "${n} + 1")
  execute_process(COMMAND "${FUZZER}" "${f}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REGEX MATCH "check failed[^\n]*|ERROR: [A-Za-z]+Sanitizer[^\n]*|runtime error[^\n]*"
           why "${out}")
    message("FAILS: ${f}: ${why}")
    list(APPEND failed "${f}")
  endif()
endforeach()
list(LENGTH failed nf)
message("seeds of ${CORPUS} pass; ${n} reproducers replayed, ${nf} still failing")
if(nf)
  message(FATAL_ERROR "reproducers still failing (fix the engine, then remove the KNOWN_* "
                      "masks in fuzz_tracker.c): ${failed}")
endif()
