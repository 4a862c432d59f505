# Finds FFTW3's double-precision library (the fftw_* functions: wrnn::analysis uses no fftwf_ or
# other precision) and provides it as the imported target FFTW3::fftw3, the name FFTW's own CMake
# package gives it. Looks through pkg-config's fftw3 module where pkg-config is installed, then
# for the header and library themselves: Debian's libfftw3-dev installs no CMake package.
# Sets wrnn_fftw3_FOUND. Used by wrnn's CMakeLists.txt and by the installed wrnnConfig.cmake.
if(TARGET FFTW3::fftw3)
  set(wrnn_fftw3_FOUND TRUE)
  return()
endif()

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(WRNN_PC_FFTW3 QUIET fftw3)
endif()
find_path(WRNN_FFTW3_INCLUDE_DIR NAMES fftw3.h HINTS ${WRNN_PC_FFTW3_INCLUDE_DIRS})
find_library(WRNN_FFTW3_LIBRARY NAMES fftw3 HINTS ${WRNN_PC_FFTW3_LIBRARY_DIRS})
mark_as_advanced(WRNN_FFTW3_INCLUDE_DIR WRNN_FFTW3_LIBRARY)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(wrnn_fftw3 REQUIRED_VARS WRNN_FFTW3_LIBRARY WRNN_FFTW3_INCLUDE_DIR)

if(wrnn_fftw3_FOUND)
  add_library(FFTW3::fftw3 UNKNOWN IMPORTED)
  set_target_properties(FFTW3::fftw3 PROPERTIES IMPORTED_LOCATION "${WRNN_FFTW3_LIBRARY}"
                                                INTERFACE_INCLUDE_DIRECTORIES "${WRNN_FFTW3_INCLUDE_DIR}")
endif()
