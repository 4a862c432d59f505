// wrnn::mpi from an installed wrnn, started as a plain process (no MPI launcher): the environment
// is a single process of rank 0 that never initialises MPI, its work queue deals every item to
// that process in order, and a collective time limit is checked as it is set. The program links
// MPI's library (mpi-c), as every user of the component does. Usage: consumer_mpi [DIRECTORY]
// (the other consumers' argument, not used)
#include <wrnn/mpi/collective_timeout.hpp>
#include <wrnn/mpi/environment.hpp>
#include <wrnn/mpi/work_queue.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>

int main() {
  const wrnn::mpi::Environment environment;
  int initialized = 1;
  MPI_Initialized(&initialized);
  std::int64_t dealt = 0, expected = 0;
  bool in_order = true;
  wrnn::mpi::WorkQueue queue(environment, 3);
  while (const std::optional<std::int64_t> item = queue.next()) {
    in_order = in_order && *item == expected++;
    ++dealt;
  }
  bool refused = false;
  try {
    wrnn::mpi::TimedCommunicator timed(environment, {-1.0, "--mpi-timeout"});
  } catch (const wrnn::ValueError&) {
    refused = true;
  }
  const bool ok = !environment.active() && environment.size() == 1 && environment.is_root() &&
                  initialized == 0 && dealt == 3 && in_order && refused;
  std::printf("mpi: rank %d of %d, MPI %s, %lld items dealt %s\n", environment.rank(),
              environment.size(), initialized ? "initialised" : "not initialised",
              static_cast<long long>(dealt), ok ? "as expected" : "WRONG");
  return ok ? 0 : 1;
}
