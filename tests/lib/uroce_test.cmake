# uroce_add_test(<name> COMMAND <command>... TIMEOUT <seconds>
#                [LABELS <label>...] [NETNS] [RESOURCE_LOCK <lock>...]
#                [ENVIRONMENT <VAR=VALUE>...])
#
# Registers ctest test <name> ("<directory>.<what>") with:
#   - the label of its directory, ${UROCE_TEST_LABEL} (by default the
#     directory's name), and LABELS besides;
#   - TIMEOUT, which every test has: none runs unbounded;
#   - SKIP_RETURN_CODE 77: a test that cannot run here (no root, no
#     namespaces, a tool not installed) exits 77 and is skipped;
#   - NETNS: RESOURCE_LOCK netns, for the tests that make network
#     namespaces (they share the host's list and run one at a time), and
#     any other RESOURCE_LOCK;
#   - the environment UROCE_TEST_LIBDIR (uroce's libraries), then the
#     directory's ${UROCE_TEST_ENV} as it is at the call, then ENVIRONMENT;
#   - in a build whose programs run slower (sanitizers), TIMEOUT times
#     the time scale below, which the test gets as UROCE_TEST_TIME_SCALE.

# The one knob of the tests' time bounds (tests/lib/clock.h and
# tests/lib/netns.sh's scaled), a whole number: programs run about 3 times
# slower under AddressSanitizer, 10 under ThreadSanitizer. valgrind runs
# stretch it again (tests/valgrind/vg.sh).
set(UROCE_TEST_TIME_SCALE "" CACHE STRING
	"Factor of the tests' time bounds (empty: 1, 3 or 10 by UROCE_SANITIZE)")
if(UROCE_TEST_TIME_SCALE)
	set(uroce_time_scale ${UROCE_TEST_TIME_SCALE})
elseif(UROCE_SANITIZE MATCHES thread)
	set(uroce_time_scale 10)
elseif(UROCE_SANITIZE)
	set(uroce_time_scale 3)
else()
	set(uroce_time_scale 1)
endif()

function(uroce_add_test name)
	cmake_parse_arguments(PARSE_ARGV 1 T "NETNS" "TIMEOUT"
		"COMMAND;LABELS;RESOURCE_LOCK;ENVIRONMENT")
	if(NOT T_COMMAND OR NOT T_TIMEOUT OR T_UNPARSED_ARGUMENTS)
		message(FATAL_ERROR "uroce_add_test(${name}): COMMAND and "
			"TIMEOUT are required (unknown: ${T_UNPARSED_ARGUMENTS})")
	endif()
	set(label ${UROCE_TEST_LABEL})
	if(NOT label)
		get_filename_component(label ${CMAKE_CURRENT_SOURCE_DIR} NAME)
	endif()
	set(labels ${label} ${T_LABELS})
	set(env UROCE_TEST_LIBDIR=${UROCE_LIB_DIR} ${UROCE_TEST_ENV}
		${T_ENVIRONMENT})
	set(timeout ${T_TIMEOUT})
	if(NOT uroce_time_scale EQUAL 1)
		list(APPEND env UROCE_TEST_TIME_SCALE=${uroce_time_scale})
		math(EXPR timeout "${timeout} * ${uroce_time_scale}")
	endif()
	set(locks ${T_RESOURCE_LOCK})
	if(T_NETNS)
		list(PREPEND locks netns)
	endif()
	add_test(NAME ${name} COMMAND ${T_COMMAND})
	set_tests_properties(${name} PROPERTIES
		LABELS "${labels}"
		TIMEOUT ${timeout}
		SKIP_RETURN_CODE 77
		ENVIRONMENT "${env}")
	if(locks)
		set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "${locks}")
	endif()
endfunction()
