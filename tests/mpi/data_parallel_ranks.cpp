// Run under `mpirun -np R` (tests/mpi/run_mpi_tests.sh): data-parallel training
// (wrnn/mpi/data_parallel.hpp) against the single-process training of the same model, which every
// rank also runs on its own as the oracle. For each configuration (wave and dense cells, every-step
// and last-step readouts, cross-entropy with and without unscored columns, MSE, clipping on and
// off, batches of several chunks with a partial last one and a batch of one chunk), every step's
// loss, gradient norm, outputs and every weight afterwards must equal the oracle's bit for bit,
// and the ranks' weights must agree (DataParallel::require_same_weights). Then a weight changed on
// one rank must be caught by every rank. Exit status 0 when every check passed on this rank.
#include <cstdio>
#include <cstring>
#include <string>

#include "common/float_models.hpp"  // the models, compiled once (wrnn_float_models)
#include "wrnn/mpi/mpi.hpp"
#include "wrnn/wrnn.hpp"

namespace {

using namespace wrnn;

int failures = 0;
int checks = 0;

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class Derived>
bool same_bits_matrix(const Eigen::MatrixBase<Derived>& a, const Eigen::MatrixBase<Derived>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index j = 0; j < a.cols(); ++j)
    for (Index i = 0; i < a.rows(); ++i)
      if (!same_bits(a(i, j), b(i, j))) return false;
  return true;
}

void expect(bool ok, const mpi::Environment& env, const std::string& what) {
  ++checks;
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "rank %d of %d: FAIL: %s\n", env.rank(), env.size(), what.c_str());
}

// Trains `parallel_model` through DataParallel and `reference` as one process, `steps` steps on
// the same batches, comparing everything after each step.
template <class Model, class Task>
void compare_training(const std::string& name, Model& parallel_model, Model& reference,
                      const Task& task, Index batch, double clip, const mpi::Environment& env) {
  Rng init_a(7), init_b(7);
  parallel_model.init(init_a);
  reference.init(init_b);
  mpi::DataParallel<Model> parallel(parallel_model, env);
  Adam<float> parallel_adam(parallel_model.parameters(), AdamOptions{3e-3});
  Adam<float> reference_adam(reference.parameters(), AdamOptions{3e-3});
  Rng data(11);
  for (long long step = 1; step <= 4; ++step) {
    const TaskBatch<float> b = task.template generate<float>(batch, data);
    const StepResult got =
        train_step(parallel, parallel_adam, b.inputs, b.targets, task.loss(), clip, step);
    const StepResult want =
        train_step(reference, reference_adam, b.inputs, b.targets, task.loss(), clip, step);
    const std::string at = name + " step " + std::to_string(step);
    expect(same_bits(got.loss, want.loss), env,
           at + ": loss " + std::to_string(got.loss) + " vs " + std::to_string(want.loss));
    expect(same_bits(got.gradient_norm, want.gradient_norm), env, at + ": gradient norm");
    expect(same_bits_matrix(parallel.outputs(), reference.outputs()), env, at + ": outputs");
    for (std::size_t p = 0; p < reference.parameters().size(); ++p)
      expect(same_bits_matrix(parallel_model.parameters()[p].parameter->value,
                              reference.parameters()[p].parameter->value),
             env, at + ": weights " + reference.parameters()[p].name);
    parallel.require_same_weights();
  }
  const TaskBatch<float> test = task.template generate<float>(batch + 3, data);
  const double got = evaluate_loss(parallel, test.inputs, test.targets, task.loss());
  const double want = evaluate_loss(reference, test.inputs, test.targets, task.loss());
  expect(same_bits(got, want), env, name + ": evaluation loss");

  if (env.size() > 1) {  // a weight changed on rank 1 only: every rank must refuse to go on
    if (env.rank() == 1) parallel_model.parameters().back().parameter->value[0] += 1.0f;
    bool caught = false;
    try {
      parallel.forward(test.inputs);
    } catch (const Error& error) {
      caught = std::string(error.what()).find("rank 1's weights differ") != std::string::npos;
    }
    expect(caught, env, name + ": weights changed on rank 1 were not caught");
  }
}

ModelOptions chunks_of(Index batch_chunk) {
  ModelOptions options;
  options.batch_chunk = batch_chunk;
  return options;
}

}  // namespace

int main() {
  try {
    mpi::Environment env(true);
    for (Index chunks : {0, 1, 2, 5, 7})
      for (int ranks = 1; ranks <= 4; ++ranks) {
        Index next = 0;
        for (int r = 0; r < ranks; ++r) {
          const mpi::ChunkRange share = mpi::chunk_share(chunks, r, ranks);
          expect(share.first == next && share.size() >= chunks / ranks &&
                     share.size() <= chunks / ranks + 1,
                 env, "chunk_share");
          next = share.end;
        }
        expect(next == chunks, env, "chunk_share covers every chunk");
      }

    const WaveCellOptions wave{CopyTask::kClasses, 2, 8, 3};
    {  // copy, every-step readout, cross-entropy over every step, clipped; 4 chunks (3+3+3+1)
      const CopyTask task(3, 4);
      const ReadoutOptions readout{task.output_size(), ReadoutKind::linear, ReadoutMode::every_step,
                                   100};
      SequenceModel<WaveCell<float>> a(wave, readout, chunks_of(3)), b(wave, readout, chunks_of(3));
      compare_training("wave copy", a, b, task, 10, 1.0, env);
    }
    {  // copy scoring the recall only, MLP readout, two threads, unclipped; 4 chunks (2+2+2+1)
      const CopyTask task(2, 3, CopyLoss::recall_only);
      const ReadoutOptions readout{task.output_size(), ReadoutKind::mlp, ReadoutMode::every_step,
                                   12};
      ModelOptions options = chunks_of(2);
      options.threads = 2;
      SequenceModel<WaveCell<float>> a(wave, readout, options), b(wave, readout, options);
      compare_training("wave copy recall-only mlp", a, b, task, 7, 0.0, env);
    }
    const DenseCellOptions dense{2, 12};
    const ReadoutOptions last{1, ReadoutKind::linear, ReadoutMode::last_step, 100};
    {  // adding, last-step readout, MSE; 3 chunks (4+4+1)
      const AddingTask task(6);
      SequenceModel<DenseCell<float>> a(dense, last, chunks_of(4)), b(dense, last, chunks_of(4));
      compare_training("dense adding", a, b, task, 9, 1.0, env);
    }
    {  // a batch of one chunk: one rank sweeps back, the others take its gradients
      const AddingTask task(5);
      SequenceModel<DenseCell<float>> a(dense, last, chunks_of(8)), b(dense, last, chunks_of(8));
      compare_training("dense adding one chunk", a, b, task, 3, 1.0, env);
    }
    std::printf("rank %d of %d: %d checks, %d failed\n", env.rank(), env.size(), checks, failures);
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "data_parallel_ranks: %s\n", error.what());
    return 1;
  }
}
