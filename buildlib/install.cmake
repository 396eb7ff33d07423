# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What the libraries' own CMakeLists do not install: the pkg-config files
# and the configuration file. Included at the end of the top CMakeLists.
#
# libibverbs.pc and librdmacm.pc go to <private libdir>/pkgconfig, beside
# uroce's libraries and away from the distribution's pkg-config directory,
# so that they take effect only for a user who sets PKG_CONFIG_PATH to it.
# They are written at install time, so that they name the prefix actually
# installed to ("cmake --install --prefix DIR" included), and carry an
# rpath to the private library directory: a program linked with them runs
# on uroce with no further settings.

set(UROCE_PKGCONFIG_DIR ${UROCE_PRIVATE_LIBDIR}/pkgconfig)

# uroce_install_pc(NAME VERSION LIB DESCRIPTION)
function(uroce_install_pc name version lib description)
	set(in ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/pkgconfig.pc.in)
	set(out ${CMAKE_BINARY_DIR}/pkgconfig/${name}.pc)
	install(CODE "
		set(PC_NAME \"${name}\")
		set(PC_VERSION \"${version}\")
		set(PC_LIB \"${lib}\")
		set(PC_DESCRIPTION \"${description}\")
		foreach(d \"${UROCE_PRIVATE_LIBDIR}\" \"${UROCE_INCLUDEDIR}\")
			if(IS_ABSOLUTE \"\${d}\")
				list(APPEND dirs \"\${d}\")
			else()
				list(APPEND dirs \"\${CMAKE_INSTALL_PREFIX}/\${d}\")
			endif()
		endforeach()
		list(GET dirs 0 PC_LIBDIR)
		list(GET dirs 1 PC_INCLUDEDIR)
		configure_file(\"${in}\" \"${out}\" @ONLY)
		file(INSTALL DESTINATION
			\"\${CMAKE_INSTALL_PREFIX}/${UROCE_PKGCONFIG_DIR}\"
			TYPE FILE FILES \"${out}\")
	")
endfunction()

# Versions as rdma-core 44's, whose API and ABI these libraries provide,
# so that a configure check such as "libibverbs >= 1.8" holds.
uroce_install_pc(libibverbs 1.14.44.0 ibverbs
	"uroce's userspace RDMA verbs library")
if(EXISTS ${CMAKE_SOURCE_DIR}/librdmacm/CMakeLists.txt)
	uroce_install_pc(librdmacm 1.3.44.0 rdmacm
		"uroce's userspace RDMA connection manager")
endif()

# The configuration directory and a commented uroce.conf that changes
# nothing. Debian and RPM builds pass CMAKE_INSTALL_SYSCONFDIR=/etc, which
# is where the provider reads it; under any other prefix the file is an
# example only.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/uroce.conf
	DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/uroce)
