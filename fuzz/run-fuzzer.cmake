# cmake -DFUZZER=path -DWORK=dir -DSEEDS=dir -DSECONDS=n -P run-fuzzer.cmake
# Runs one libFuzzer target for SECONDS from the committed seeds. The seed
# folder is only read: libFuzzer writes new inputs into its first corpus
# folder, WORK/corpus, and a crash's reproducer into WORK/ (kept for the
# report: the test fails and names it).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=25 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix=${WORK}/ "${WORK}/corpus" "${SEEDS}"
  RESULT_VARIABLE rc)
file(GLOB found "${WORK}/crash-*" "${WORK}/leak-*" "${WORK}/timeout-*" "${WORK}/oom-*")
if(NOT rc EQUAL 0 OR found)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); reproducers: ${found}")
endif()
