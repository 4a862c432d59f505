/// \file
/// wrnn's mpi component (wrnn::mpi): the MPI environment of a process and data-parallel training
/// with the results of one process.
#pragma once

#include "wrnn/mpi/data_parallel.hpp"
#include "wrnn/mpi/environment.hpp"
