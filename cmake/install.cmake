# The installable library: libhetsgd.so (hetsgd::hetsgd) made of the four static libraries, its
# headers under include/hetsgd, and a CMake package (lib/cmake/hetsgd) that finds what the
# headers need. Private dependencies (Gloo, CUDA, NCCL, OpenSSL) stay inside the shared library,
# so a consumer needs only Torch, CAF, toml++ and nlohmann-json (docs/embedding.md).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(hetsgd_lib SHARED ${PROJECT_SOURCE_DIR}/hetsgd/version.cpp)
add_library(hetsgd::hetsgd ALIAS hetsgd_lib)
target_compile_definitions(hetsgd_lib PRIVATE HETSGD_VERSION="${PROJECT_VERSION}")
target_compile_options(hetsgd_lib PRIVATE ${HETSGD_WARNINGS})
target_compile_features(hetsgd_lib PUBLIC cxx_std_17)
# Every object of the static libraries, not only the ones version.cpp would pull in. (CMake's
# WHOLE_ARCHIVE feature refuses libraries that also come in plainly, as these do through each
# other's link interfaces; the static libraries are ours, built with -fPIC, so the flags do.)
target_link_libraries(hetsgd_lib PRIVATE
  -Wl,--whole-archive hetsgd_actors hetsgd_gpu hetsgd_config hetsgd_policies -Wl,--no-whole-archive)
target_link_libraries(hetsgd_lib PUBLIC torch CAF::core CAF::io tomlplusplus::tomlplusplus
  nlohmann_json::nlohmann_json)
target_include_directories(hetsgd_lib PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/hetsgd>  # "actors/...", "config/...", ...
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)        # <hetsgd/hetsgd.hpp>
if(HETSGD_SANITIZE)
  # A sanitized libhetsgd (make test-asan) needs the sanitizer's runtime loaded first, so a
  # program linking it must link that runtime too: the exported target says so.
  target_link_options(hetsgd_lib INTERFACE -fsanitize=${_hetsgd_sanitizers})
endif()
set_target_properties(hetsgd_lib PROPERTIES
  OUTPUT_NAME hetsgd
  EXPORT_NAME hetsgd
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  # Finds libnccl (/usr/local/cuda/lib64) and the like where the build found them.
  INSTALL_RPATH_USE_LINK_PATH ON)

install(TARGETS hetsgd_lib EXPORT hetsgdTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(dir actors config gpu policies hetsgd)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hetsgd/${dir}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()

set(HETSGD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hetsgd)
install(EXPORT hetsgdTargets NAMESPACE hetsgd:: DESTINATION ${HETSGD_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hetsgdConfig.cmake.in
  ${PROJECT_BINARY_DIR}/hetsgdConfig.cmake INSTALL_DESTINATION ${HETSGD_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hetsgdConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hetsgdConfig.cmake ${PROJECT_BINARY_DIR}/hetsgdConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake DESTINATION ${HETSGD_CMAKE_DIR})
