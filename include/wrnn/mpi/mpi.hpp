/// \file
/// wrnn's mpi component (wrnn::mpi): the MPI environment of a process and data-parallel training
/// with the results of one process, its collective calls limited in time, and the dealing of work
/// items to ranks.
#pragma once

#include "wrnn/mpi/collective_timeout.hpp"
#include "wrnn/mpi/data_parallel.hpp"
#include "wrnn/mpi/environment.hpp"
#include "wrnn/mpi/work_queue.hpp"
