/// \file
/// Data-parallel training over MPI with the results of one process, bit for bit.
///
/// A SequenceModel cuts a batch into fixed chunks of ModelOptions::batch_chunk samples; each
/// chunk's forward and reverse sweep depend on nothing but its own samples and the weights, and
/// backward() adds the chunks' gradients to .grad in chunk order. DataParallel<Model> deals the
/// chunks to the processes (ranks) of an MPI job and keeps that arithmetic:
///
///   1. every rank holds the whole batch (the same inputs on every rank);
///   2. rank r runs the forward of its chunks [first_r, end_r) (chunk_share);
///   3. MPI_Allgatherv: every chunk's outputs, so that every rank holds the whole outputs;
///   4. every rank computes the loss and dL/doutputs of the whole batch, as one process does;
///   5. rank r runs the reverse sweep of its chunks, each into the chunk's own gradient buffers;
///   6. MPI_Allgatherv: every chunk's gradient vector, to every rank;
///   7. every rank adds them to .grad, chunk 0, chunk 1, ... in chunk order (as
///      SequenceModel::backward does);
///   8. every rank computes the clipping norm and the optimizer update: the same arithmetic on
///      the same numbers,
///
/// so that every rank's gradients, and the weights after every step, are the single process's
/// bit for bit, for any number of ranks. An MPI_Allreduce would add the chunks' gradients in an
/// order of MPI's choosing and change the last bits with the rank count. A batch of one chunk is
/// run by one rank, whose .grad is then broadcast.
///
/// DataParallel has the model's interface for training and evaluation (forward, infer, outputs,
/// backward, parameters), so train_step() and evaluate_loss() (wrnn/train/trainer.hpp) take it in
/// place of the model. Before every forward() and infer() the ranks compare a fingerprint of
/// their weights (one MPI_Allgather of 8 bytes) and stop with an Error when one differs.
///
/// The collective calls have a time limit (CollectiveTimeout, wrnn/mpi/collective_timeout.hpp):
/// when a rank hangs without dying, so that the others would wait in a collective call for ever,
/// they end the job after the timeout with a message naming it. The calls are started
/// non-blocking on a private duplicate of the environment's communicator and move the same bytes
/// as their blocking forms, so the results do not change.
///
/// Cost per training step besides the computation: the outputs (o x T' x B values) and the
/// chunks' gradients (chunks x parameters values) gathered on every rank. Parallelism ends at
/// one chunk per rank: a batch of B has ceil(B / batch_chunk) chunks.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/sequence.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/mpi/collective_timeout.hpp"
#include "wrnn/mpi/environment.hpp"

namespace wrnn::mpi {

/// MPI's datatype for a wrnn scalar (float or double).
template <class Scalar>
MPI_Datatype datatype_of() {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "wrnn::mpi: float or double scalars only");
  return std::is_same_v<Scalar, float> ? MPI_FLOAT : MPI_DOUBLE;
}

/// A range [first, end) of a batch's chunks.
struct ChunkRange {
  Index first = 0;  ///< The first chunk.
  Index end = 0;    ///< One past the last chunk.
  /// How many chunks the range holds.
  Index size() const { return end - first; }
};

/// The chunks rank `rank` of `ranks` runs of a batch of `chunks` chunks: consecutive ranges in
/// rank order, their sizes differing by at most one (ranks beyond the chunk count get none).
/// \throws ValueError when chunks < 0, ranks < 1 or rank is not in [0, ranks).
inline ChunkRange chunk_share(Index chunks, int rank, int ranks) {
  if (chunks < 0 || ranks < 1 || rank < 0 || rank >= ranks)
    throw ValueError(detail::concat("chunk_share: expected chunks >= 0 and a rank in [0, ranks), ",
                                    "received chunks ", chunks, ", rank ", rank, " of ", ranks));
  return {chunks * rank / ranks, chunks * (rank + 1) / ranks};
}

/// A 64-bit FNV-1a hash of every parameter's values, byte for byte in parameters() order: equal
/// on two processes when their weights are (and, but for a 2^-64 chance, only then).
template <class Scalar>
std::uint64_t weight_fingerprint(const ParameterList<Scalar>& parameters) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const auto& named : parameters) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(named.parameter->value.data());
    const std::size_t count =
        static_cast<std::size_t>(named.parameter->value.size()) * sizeof(Scalar);
    for (std::size_t i = 0; i < count; ++i) {
      hash ^= bytes[i];
      hash *= 1099511628211ULL;
    }
  }
  return hash;
}

/// A SequenceModel trained data-parallel over the ranks of `environment` (see the file's
/// description). Every rank constructs one over its own model, built and initialised alike, and
/// makes the same calls with the same whole batches. Without MPI, or with one rank, every call
/// goes straight to the model. Not copyable: it owns a duplicate of the environment's
/// communicator.
template <class Model>
class DataParallel {
 public:
  using Scalar = typename Model::Scalar;  ///< The model's scalar type.

  /// Runs `model` (kept by reference) over the ranks of `environment`, each collective call
  /// limited to `timeout`. Collective when the environment is distributed: every rank
  /// constructs its DataParallel at the same point (MPI_Comm_dup).
  /// \throws ValueError for a negative timeout; MpiError when MPI fails.
  DataParallel(Model& model, const Environment& environment, CollectiveTimeout timeout = {})
      : model_(model), environment_(environment), timed_(environment, std::move(timeout)) {}

  Model& model() { return model_; }              ///< The model of this rank.
  const Model& model() const { return model_; }  ///< The model of this rank.
  /// The model's parameters (the optimizer's): the same values on every rank.
  const ParameterList<Scalar>& parameters() const { return model_.parameters(); }

  /// The model's forward() over the whole batch, its chunks shared among the ranks: the outputs
  /// of every chunk, on every rank, bit for bit what one process computes. Keeps this rank's
  /// chunks' tape for backward().
  /// \throws Error when the ranks' weights differ; MpiError when MPI fails; as forward().
  const Matrix<Scalar>& forward(const Sequence<Scalar>& inputs) { return run(inputs, true); }

  /// infer() over the whole batch, its chunks shared among the ranks (no tape).
  /// \throws as forward().
  const Matrix<Scalar>& infer(const Sequence<Scalar>& inputs) { return run(inputs, false); }

  /// The outputs of the last forward() or infer(), every chunk's.
  const Matrix<Scalar>& outputs() const {
    return environment_.distributed() ? gathered_outputs_ : model_.outputs();
  }

  /// The model's backward(): adds dL/dtheta of the whole batch to every parameter's .grad on
  /// every rank, the chunks' gradients added in chunk order as one process adds them.
  /// `grad_outputs` must be the same on every rank (computed from outputs()).
  /// \throws Error when no forward() came before; ShapeError when grad_outputs is not the
  ///         outputs' shape; MpiError when MPI fails.
  void backward(const Matrix<Scalar>& grad_outputs) {
    if (!environment_.distributed()) {
      model_.backward(grad_outputs);
      return;
    }
    if (!has_tape_) throw Error("DataParallel::backward: call forward first");
    require_size("DataParallel::backward gradient rows", gathered_outputs_.rows(),
                 grad_outputs.rows());
    require_size("DataParallel::backward gradient columns", gathered_outputs_.cols(),
                 grad_outputs.cols());
    const ParameterList<Scalar>& parameters = model_.parameters();
    if (chunks_ == 1) {
      // One chunk: its rank runs the model's own backward (which adds straight into .grad), and
      // the others take that rank's .grad.
      const int owner = owner_of_chunk(0);
      if (environment_.rank() == owner) model_.backward(grad_outputs);
      for (const auto& named : parameters) {
        MPI_Request request = MPI_REQUEST_NULL;
        check(MPI_Ibcast(named.parameter->grad.data(), mpi_count(named.parameter->grad.size()),
                         datatype_of<Scalar>(), owner, timed_.communicator(), &request),
              "MPI_Ibcast (gradients)");
        timed_.wait(request, "MPI_Ibcast (gradients)");
      }
      return;
    }
    model_.backward_chunks(grad_outputs);
    Index gradient_size = 0;
    for (const auto& named : parameters) gradient_size += named.parameter->grad.size();
    send_.clear();
    for (Index c = share_.first; c < share_.end; ++c)
      for (std::size_t p = 0; p < parameters.size(); ++p) {
        const Vector<Scalar>& g = model_.chunk_gradient(c, p);
        send_.insert(send_.end(), g.data(), g.data() + g.size());
      }
    all_gather([&](int rank) { return gradient_size * share_of(rank).size(); },
               "MPI_Iallgatherv (gradients)");
    const Scalar* chunk_gradient = received_.data();  // chunk 0's, then chunk 1's, ...
    for (Index c = 0; c < chunks_; ++c)
      for (const auto& named : parameters) {
        Vector<Scalar>& grad = named.parameter->grad;
        grad += ConstVectorMap(chunk_gradient, grad.size());
        chunk_gradient += grad.size();
      }
  }

  /// Compares the ranks' weight_fingerprint() (one MPI_Allgather) and throws Error naming the
  /// first rank whose weights differ from rank 0's; nothing without MPI.
  /// \throws Error when a rank's weights differ; MpiError when MPI fails.
  void require_same_weights() const {
    if (!environment_.distributed()) return;
    const std::uint64_t mine = weight_fingerprint(model_.parameters());
    std::vector<std::uint64_t> all(static_cast<std::size_t>(environment_.size()));
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, timed_.communicator(),
                         &request),
          "MPI_Iallgather (weight fingerprints)");
    timed_.wait(request, "MPI_Iallgather (weight fingerprints)");
    for (std::size_t r = 1; r < all.size(); ++r)
      if (all[r] != all[0])
        throw Error(detail::concat("data-parallel training: rank ", r,
                                   "'s weights differ from rank 0's (fingerprint ", all[r],
                                   ", expected ", all[0],
                                   "); the ranks must build, initialise "
                                   "and update the same model"));
  }

 private:
  using ConstVectorMap = Eigen::Map<const Vector<Scalar>>;

  ChunkRange share_of(int rank) const { return chunk_share(chunks_, rank, environment_.size()); }

  int owner_of_chunk(Index chunk) const {
    for (int r = 0; r < environment_.size(); ++r) {
      const ChunkRange share = share_of(r);
      if (chunk >= share.first && chunk < share.end) return r;
    }
    return 0;  // not reached: the shares cover every chunk
  }

  static int mpi_count(Index count) {
    if (count > INT_MAX)
      throw ValueError(detail::concat("data-parallel training: a message of ", count,
                                      " values, MPI counts at most ", INT_MAX,
                                      "; use a smaller batch or model"));
    return static_cast<int>(count);
  }

  // Gathers every rank's send_ into received_ in rank order; count_of(r) is rank r's count. `call`
  // names the call in messages.
  template <class CountOf>
  void all_gather(CountOf count_of, const char* call) {
    const int ranks = environment_.size();
    std::vector<int> counts(static_cast<std::size_t>(ranks)), offsets(counts.size());
    Index total = 0;
    for (int r = 0; r < ranks; ++r) {
      offsets[static_cast<std::size_t>(r)] = mpi_count(total);
      counts[static_cast<std::size_t>(r)] = mpi_count(count_of(r));
      total += count_of(r);
    }
    mpi_count(total);
    require_size("DataParallel: values this rank sends",
                 counts[static_cast<std::size_t>(environment_.rank())],
                 static_cast<Index>(send_.size()));
    received_.resize(static_cast<std::size_t>(total));
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallgatherv(send_.data(), static_cast<int>(send_.size()), datatype_of<Scalar>(),
                          received_.data(), counts.data(), offsets.data(), datatype_of<Scalar>(),
                          timed_.communicator(), &request),
          call);
    timed_.wait(request, call);
  }

  const Matrix<Scalar>& run(const Sequence<Scalar>& inputs, bool with_tape) {
    if (!environment_.distributed())
      return with_tape ? model_.forward(inputs) : model_.infer(inputs);
    require_same_weights();
    has_tape_ = false;
    const Index batch = inputs.batch();
    chunks_ = model_.chunk_count_for(batch);
    share_ = share_of(environment_.rank());
    const Matrix<Scalar>& local = with_tape
                                      ? model_.forward_chunks(inputs, share_.first, share_.end)
                                      : model_.infer_chunks(inputs, share_.first, share_.end);
    // Output column block*B + b is sample b's block (a step, or the last step only); a rank's
    // chunks hold consecutive samples, so its columns are one run per block.
    const Index chunk_size = std::min(batch, model_.model_options().batch_chunk);
    const Index rows = local.rows(), blocks = batch > 0 ? local.cols() / batch : 0;
    const auto samples_of = [&](const ChunkRange& share) {
      const Index first = std::min(batch, share.first * chunk_size);
      return std::pair<Index, Index>{first, std::min(batch, share.end * chunk_size) - first};
    };
    const auto [first_sample, samples] = samples_of(share_);
    send_.resize(static_cast<std::size_t>(rows * blocks * samples));
    for (Index block = 0; block < blocks; ++block)
      Eigen::Map<Matrix<Scalar>>(send_.data() + block * rows * samples, rows, samples) =
          local.middleCols(block * batch + first_sample, samples);
    all_gather([&](int rank) { return rows * blocks * samples_of(share_of(rank)).second; },
               "MPI_Iallgatherv (outputs)");
    gathered_outputs_.resize(rows, local.cols());
    const Scalar* from = received_.data();
    for (int r = 0; r < environment_.size(); ++r) {
      const auto [first, count] = samples_of(share_of(r));
      for (Index block = 0; block < blocks; ++block, from += rows * count)
        gathered_outputs_.middleCols(block * batch + first, count) =
            Eigen::Map<const Matrix<Scalar>>(from, rows, count);
    }
    has_tape_ = with_tape;
    return gathered_outputs_;
  }

  Model& model_;
  const Environment& environment_;
  // Waiting is not a change of the model: require_same_weights() is const.
  mutable TimedCommunicator timed_;
  Index chunks_ = 0;  // the chunks of the last forward's batch
  ChunkRange share_;  // this rank's
  bool has_tape_ = false;
  Matrix<Scalar> gathered_outputs_;
  std::vector<Scalar> send_, received_;
};

}  // namespace wrnn::mpi
