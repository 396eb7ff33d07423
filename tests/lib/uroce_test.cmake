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
#     directory's ${UROCE_TEST_ENV} as it is at the call, then ENVIRONMENT.
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
	set(locks ${T_RESOURCE_LOCK})
	if(T_NETNS)
		list(PREPEND locks netns)
	endif()
	add_test(NAME ${name} COMMAND ${T_COMMAND})
	set_tests_properties(${name} PROPERTIES
		LABELS "${labels}"
		TIMEOUT ${T_TIMEOUT}
		SKIP_RETURN_CODE 77
		ENVIRONMENT "${env}")
	if(locks)
		set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "${locks}")
	endif()
endfunction()
