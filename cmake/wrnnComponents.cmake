# What each of wrnn's optional components needs, in one place for wrnn's own CMakeLists.txt and
# for the installed wrnnConfig.cmake:
#
#   component  target          packages (Debian)
#   io         wrnn::io        nlohmann_json 3.10+ (nlohmann-json3-dev)
#   data       wrnn::data      ZLIB (zlib1g-dev)
#   analysis   wrnn::analysis  FFTW3, double precision (libfftw3-dev), giflib (libgif-dev),
#                              stb's headers (libstb-dev)
#   mpi        wrnn::mpi       MPI's C interface (libopenmpi-dev; any MPI 3 implementation)
#   blas       wrnn::blas      a BLAS library to link (libblas-dev: Debian's libblas.so.3
#                              alternative, OpenBLAS when libopenblas0-pthread is installed)
#
# The core, wrnn::wrnn, needs Eigen3 3.4+, xsimd and Threads, and none of these.

set(WRNN_COMPONENTS io data analysis mpi blas)
set(_WRNN_COMPONENTS_DIR "${CMAKE_CURRENT_LIST_DIR}")

# wrnn_find_component_dependencies(<component> <missing-var>)
# Looks for the packages <component> needs, quietly, so that a missing one never stops the
# configuration: their imported targets (nlohmann_json::nlohmann_json, ZLIB::ZLIB, FFTW3::fftw3,
# GIF::GIF, MPI::MPI_CXX, BLAS::BLAS) exist afterwards for the ones found, and
# WRNN_STB_INCLUDE_DIR names stb's directory.
# Sets <missing-var> to one entry per package not found, each naming its Debian package; empty
# when all were found.
function(wrnn_find_component_dependencies component missing_var)
  set(missing "")
  if(component STREQUAL "io")
    find_package(nlohmann_json 3.10 QUIET)
    if(NOT nlohmann_json_FOUND)
      list(APPEND missing "nlohmann_json 3.10 or newer (Debian: nlohmann-json3-dev)")
    endif()
  elseif(component STREQUAL "data")
    find_package(ZLIB QUIET)
    if(NOT ZLIB_FOUND)
      list(APPEND missing "ZLIB (Debian: zlib1g-dev)")
    endif()
  elseif(component STREQUAL "analysis")
    list(PREPEND CMAKE_MODULE_PATH "${_WRNN_COMPONENTS_DIR}")  # Findwrnn_fftw3.cmake
    find_package(wrnn_fftw3 QUIET)
    if(NOT wrnn_fftw3_FOUND)
      list(APPEND missing "FFTW3, double precision (Debian: libfftw3-dev)")
    endif()
    find_package(GIF QUIET)
    if(NOT GIF_FOUND)
      list(APPEND missing "giflib (Debian: libgif-dev)")
    endif()
    find_path(WRNN_STB_INCLUDE_DIR NAMES stb/stb_image_write.h)
    mark_as_advanced(WRNN_STB_INCLUDE_DIR)
    if(NOT WRNN_STB_INCLUDE_DIR)
      list(APPEND missing "stb's headers (Debian: libstb-dev)")
    endif()
  elseif(component STREQUAL "mpi")
    # Only MPI's C interface (mpi.h): the deprecated C++ bindings stay out (MPI_CXX_SKIP_MPICXX).
    set(MPI_CXX_SKIP_MPICXX ON)
    find_package(MPI QUIET COMPONENTS CXX)
    if(NOT MPI_CXX_FOUND)
      list(APPEND missing "MPI (Debian: libopenmpi-dev)")
    endif()
  elseif(component STREQUAL "blas")
    # CMake's FindBLAS (BLA_VENDOR picks an implementation). Eigen declares the BLAS functions it
    # calls itself (EIGEN_USE_BLAS), so the library alone is needed, no BLAS header.
    find_package(BLAS QUIET)
    if(NOT BLAS_FOUND)
      list(APPEND missing "a BLAS library (Debian: libblas-dev)")
    elseif(NOT TARGET BLAS::BLAS)  # FindBLAS defines the target from CMake 3.18 on
      set(blas_link ${BLAS_LINKER_FLAGS} ${BLAS_LIBRARIES})
      add_library(BLAS::BLAS INTERFACE IMPORTED)
      set_target_properties(BLAS::BLAS PROPERTIES INTERFACE_LINK_LIBRARIES "${blas_link}")
    endif()
  else()
    message(FATAL_ERROR "wrnn_find_component_dependencies: '${component}' is no component of wrnn")
  endif()
  set(${missing_var} "${missing}" PARENT_SCOPE)
endfunction()
