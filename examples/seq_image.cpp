// seq_image: trains a wave-RNN, an iRNN, an LSTM, a GRU, the locally connected wave cell, or the
// authors' feed-forward baseline (--model fc: a readout over the whole flattened image,
// wrnn/model/flat_classifier.hpp) on sMNIST, psMNIST or noisy sequential CIFAR-10 (docs/model.md,
// "Tasks", docs/seq_image.md). `seq_image --help` lists the flags.
//
// This file is the program: its flags, their checks, the memory the run needs, and the model the
// flags ask for. The data, the epoch loop, the record and the checkpoint are
// common/seq_image_run.hpp's. Before the first step the program checks the flags
// (flag_checks.hpp), the memory (memory_budget.hpp), the output folder (output_files.hpp) and a
// --resume checkpoint's record; its exit status says how it ended (program_errors.hpp). Under
// mpirun the run is data-parallel over the ranks (common/data_parallel.hpp).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/data_parallel.hpp"
#include "common/flag_checks.hpp"
#include "common/float_models.hpp"
#include "common/lr_schedule_flags.hpp"
#include "common/memory_budget.hpp"
#include "common/model_flags.hpp"
#include "common/output_files.hpp"
#include "common/program_errors.hpp"
#include "common/seq_image_run.hpp"
#include "wrnn/data/data.hpp"
#include "wrnn/model/flat_classifier.hpp"
#include "wrnn/wrnn.hpp"

namespace wrnn::examples {
namespace {

ModelOptions seq_image_model_options(const SeqImageOptions& options) {
  ModelOptions model;
  model.threads = options.threads;
  model.tape_checkpoint_every = options.tape_checkpoint_every;
  return model;
}

// Refuses flags out of range and choices it does not know (ValueError naming the flag).
void check_flags(const SeqImageOptions& options) {
  require_at_least("--epochs", options.epochs, 0LL);
  require_at_least("--max-train-batches", options.max_train_batches, 0LL);
  require_at_least("--max-eval", options.max_eval, Index{0});
  require_at_least("--tape-checkpoint-every", options.tape_checkpoint_every, Index{0});
  require_at_least("--batch", options.batch, Index{1});
  require_at_least("--eval-batch", options.eval_batch, Index{1});
  require_at_least("--log-every", options.log_every, 1LL);
  require_at_least("--lr-drop-every", options.lr_drop_every, 1LL);
  if (!(options.lr_drop_factor > 0))
    throw ValueError(
        detail::concat("--lr-drop-factor: expected > 0, received ", options.lr_drop_factor));
  require_at_least("--lr", options.learning_rate, 0.0);
  require_at_least("--grad-clip", options.grad_clip, 0.0);  // 0: no clipping
  require_at_least("--n", options.ring_size, Index{1});
  require_at_least("--channels", options.channels, Index{1});
  if (options.kernel_size < 1 || options.kernel_size % 2 == 0)
    throw ValueError(
        detail::concat("--kernel: expected an odd size >= 1, received ", options.kernel_size));
  if (options.model != "wave" && options.model != "irnn" && options.model != "lstm" &&
      options.model != "gru" && options.model != "loco" && options.model != "fc")
    throw ValueError("--model: expected wave, irnn, lstm, gru, loco or fc, received '" +
                     options.model + "'");
  if (options.lr_plateau_metric != "authors" && options.lr_plateau_metric != "val-acc" &&
      options.lr_plateau_metric != "val-loss")
    throw ValueError("--lr-plateau-metric: expected authors, val-acc or val-loss, received '" +
                     options.lr_plateau_metric + "'");
  parse_flag("--readout", options.readout, parse_readout_kind);
  require_at_least("--mlp-hidden", options.mlp_hidden, Index{1});
  parse_flag("--act", options.activation, parse_activation);
  if (!options.init.empty()) parse_flag("--init", options.init, parse_recurrent_init);
  if (!options.v_init.empty()) parse_flag("--v-init", options.v_init, parse_input_init);
}

// The memory the model needs (memory_budget.hpp; the images are already loaded): the parameters
// with Adam's state, and the largest of a training batch's tape, an evaluation batch (no tape)
// and, when every state is kept, the census forward over 16 test images.
void require_memory_for(const SeqImageOptions& options, const data::SequentialImageView& view,
                        const ReadoutOptions& readout) {
  const Index d = view.features();
  const ByteCount T = ByteCount::of(view.steps());
  if (options.model == "fc") {  // no tape: a batch's inputs, flattened, and their gradient
    const ByteCount inputs = T * ByteCount::of(d), O = ByteCount::of(readout.output_size);
    const ByteCount H = ByteCount::of(readout.mlp_hidden);
    const ByteCount parameters =
        readout.kind == ReadoutKind::mlp ? inputs * H + H + O * H + O : inputs * O + O;
    const ByteCount batch = larger(ByteCount(3) * ByteCount::of(options.batch),
                                   ByteCount(2) * ByteCount::of(options.eval_batch));
    require_memory(ByteCount(sizeof(float)) * (ByteCount(4) * parameters + batch * inputs),
                   "this run (--model fc, --batch " + std::to_string(options.batch) + ")",
                   "ask for a smaller --batch, --eval-batch or --mlp-hidden");
    return;
  }
  const ModelSizes sizes =
      model_sizes(options.model, d, options.ring_size, options.channels, options.kernel_size,
                  readout.output_size, readout.kind == ReadoutKind::mlp ? readout.mlp_hidden : 0);
  const ByteCount batch_inputs =
      ByteCount(sizeof(float)) * ByteCount::of(options.batch) * T * ByteCount::of(d);
  const ByteCount training =
      model_run_bytes(sizes, d, T, options.batch, true, options.tape_checkpoint_every, false) +
      batch_inputs;
  const ByteCount evaluation =
      model_run_bytes(sizes, d, T, options.eval_batch, false, 0, false) +
      ByteCount(sizeof(float)) * ByteCount::of(options.eval_batch) * T * ByteCount::of(d);
  const ByteCount census = options.tape_checkpoint_every == 0  // test_census() runs only then
                               ? model_run_bytes(sizes, d, T, 16, true, 0, false)
                               : ByteCount(0);
  require_memory(
      training_state_bytes(sizes, options.batch) + larger(training, larger(evaluation, census)),
      "this run (--model " + options.model + ", --batch " + std::to_string(options.batch) + ")",
      "ask for a smaller --batch, --eval-batch, --n or --channels, or keep fewer states "
      "with --tape-checkpoint-every (28 for the 784 steps of sMNIST)");
}

// Builds the model the flags ask for and trains it. Returns results.json's content.
nlohmann::json run_seq_image(SeqImageOptions options, std::ostream& log) {
  check_flags(options);
  if (options.model == "fc" && process_count() > 1)
    throw ValueError(
        detail::concat("--model fc: expected one process (a batch is one matrix product, "
                       "nothing to share), received ",
                       process_count(), " under mpirun; run it without mpirun"));
  const bool ring = options.model == "wave" || options.model == "loco";
  if (ring && options.init.empty()) options.init = "shift";
  if (ring && options.v_init.empty()) options.v_init = "solo";
  if (options.model == "irnn" && options.init.empty()) options.init = "identity";
  if (options.model == "irnn" && options.v_init.empty()) options.v_init = "pytorch";
  if (options.model == "lstm" || options.model == "gru")
    options.init = options.v_init = options.activation = "pytorch";  // PyTorch's own init, gates

  // The view first: a wrong --task fails before any file is read.
  const data::SequentialImageView view =
      data::SequentialImageView::for_task(options.task, options.seed);
  const ReadoutOptions readout = readout_options(options, 10, ReadoutMode::last_step);
  const SeqImageData d = load_seq_image_data(options);
  // The schedule's defaults that follow the run, resolved so that results.json and a checkpoint
  // record the schedule that ran: cosine's T_max = --epochs; onecycle's length = batches per epoch
  // x --epochs (the authors' steps_per_epoch * epochs, though they step it once per epoch).
  if (options.lr_scheduler == "cosine" && options.lr_t_max == 0) options.lr_t_max = options.epochs;
  if (options.lr_scheduler == "onecycle" && options.lr_total_steps == 0)
    options.lr_total_steps =
        std::max<long long>(1, static_cast<long long>(data::EpochBatches::shuffled(
                                                          d.split.train, options.batch,
                                                          options.task != "smnist", options.seed, 0)
                                                          .size()) *
                                   options.epochs);
  if (options.batch > static_cast<Index>(d.split.train.size()))
    throw ValueError(detail::concat(
        "--batch ", options.batch, ": more than the ", d.split.train.size(), " training images (",
        d.directory, " holds ", d.train.count, ", of which ", d.split.validation.size(),
        " are held out for validation); an epoch would train on no "
        "full batch"));
  require_memory_for(options, view, readout);
  if (is_root_process() && !options.out_dir.empty())
    prepare_output_folder(
        "--out", options.out_dir,
        {"curve.csv", "results.json", "checkpoint.safetensors", "permutation.txt"});
  const Index d_in = view.features();
  if (options.model == "fc") {  // the authors' sMNIST baseline: the readout over the whole image
    FlatClassifier<float> model(view.steps(), d_in, readout);
    return train_seq_image(model, options, d, view, log);
  }
  if (options.model == "wave") {
    const auto cell = ring_cell_options<WaveCellOptions>(d_in, options);
    SequenceModel<WaveCell<float>> model(cell, readout, seq_image_model_options(options));
    return train_seq_image(model, options, d, view, log);
  }
  if (options.model == "loco") {  // the authors' sMNIST ablation: the wave cell, kernel untied
    const auto cell = ring_cell_options<LocoCellOptions>(d_in, options);
    SequenceModel<LocoCell<float>> model(cell, readout, seq_image_model_options(options));
    return train_seq_image(model, options, d, view, log);
  }
  if (options.model == "irnn") {
    DenseCellOptions cell{d_in, options.ring_size,
                          parse_flag("--act", options.activation, parse_activation),
                          parse_flag("--init", options.init, parse_recurrent_init),
                          parse_flag("--v-init", options.v_init, parse_input_init)};
    if (const auto warning = dead_unit_warning(cell)) std::cerr << "warning: " << *warning << '\n';
    SequenceModel<DenseCell<float>> model(cell, readout, seq_image_model_options(options));
    return train_seq_image(model, options, d, view, log);
  }
  if (options.model == "lstm") {
    SequenceModel<LSTMCell<float>> model(LSTMCellOptions{d_in, options.ring_size}, readout,
                                         seq_image_model_options(options));
    return train_seq_image(model, options, d, view, log);
  }
  SequenceModel<GRUCell<float>> model(GRUCellOptions{d_in, options.ring_size}, readout,
                                      seq_image_model_options(options));
  return train_seq_image(model, options, d, view, log);
}

}  // namespace

int seq_image_main(int argc, char** argv) {
  SeqImageOptions options;
  CLI::App app{
      "Train a wave-RNN, an iRNN, an LSTM, a GRU or the feed-forward baseline on sequential image "
      "classification: sMNIST, psMNIST or noisy sequential CIFAR-10 (Keller et al. 2024)"};
  add_model_flags(app, options);
  app.get_option("--model")->description(
      "wave, irnn, lstm, gru, loco (the wave cell with a kernel per unit) or fc (no recurrence: "
      "a --readout over the whole image, flattened; the authors' sMNIST baseline)");
  app.add_option("--task", options.task, "smnist, psmnist or nscifar10")->capture_default_str();
  app.add_option("--data", options.data_dir,
                 std::string("folder of the IDX files (default for smnist/psmnist: ") +
                     data::kDebianFashionMnistDirectory +
                     ") or of the CIFAR-10 binary files (needed for nscifar10)");
  add_readout_flags(app, options);
  add_freeze_flags(app, options);
  add_integer_option<long long>(app, "--epochs", options.epochs, "training epochs");
  add_integer_option<Index>(
      app, "--batch", options.batch,
      "training batch size (at most the training images: all but 3000 held out for "
      "validation)");
  add_integer_option<Index>(app, "--eval-batch", options.eval_batch,
                            "evaluation batch size (results do not depend on it)");
  add_lr_schedule_flags(app, options, "epoch",
                        "batches per epoch x --epochs, the authors', though stepped per epoch");
  app.add_option("--lr-plateau-metric", options.lr_plateau_metric,
                 "plateau: what the schedule watches after each epoch: authors (the validation "
                 "accuracy in percent in ReduceLROnPlateau's default mode 'min', as the authors' "
                 "psMNIST script: the rate drops while the accuracy rises), val-acc (mode 'max') "
                 "or val-loss (mode 'min')")
      ->capture_default_str();
  add_integer_option<std::uint64_t>(
      app, "--seed", options.seed,
      "seed of the train/validation split, the psMNIST permutation (or nsCIFAR-10 "
      "noise), the batch order and the initial weights (an integer in [0, 2^64))");
  app.add_option("--max-train-batches", options.max_train_batches,
                 "train on at most N batches per epoch (0: all; for quick runs and timing)")
      ->capture_default_str()
      ->transform(decimal_integer<long long>());
  app.add_option("--tape-checkpoint-every", options.tape_checkpoint_every,
                 "keep every K-th state for backpropagation and recompute the others (0: keep "
                 "all; 28 cuts the wave sMNIST tape from 1.6 GB to 112 MB at the same speed; "
                 "results do not depend on it)")
      ->capture_default_str()
      ->transform(decimal_integer<Index>());
  add_integer_option<Index>(app, "--max-eval", options.max_eval,
                            "evaluate on the first N validation and N test images (0: all)");
  add_integer_option<long long>(app, "--log-every", options.log_every,
                                "redraw the progress bar every N batches");
  app.add_option("--out", options.out_dir,
                 "write curve.csv and results.json here after every epoch (and permutation.txt "
                 "for psmnist)");
  app.add_option("--resume", options.resume,
                 "continue the run saved in this checkpoint (same flags otherwise; --epochs may "
                 "grow)");
  return run_program("seq_image", app, argc, argv, [&] {
    options.threads = resolve_thread_count(*app.get_option("--threads"), options.threads);
    check_readout_flags(app, options);
    // A onecycle's default length (batches per epoch x epochs) is checked once the data is read.
    check_lr_schedule_flags(app, options, options.epochs,
                            std::max<long long>(options.lr_total_steps, options.epochs));
    if (options.model == "lstm" || options.model == "gru")
      refuse_given_flags(app, {"--channels", "--kernel", "--act", "--init", "--v-init"},
                         "--model " + options.model + " (PyTorch's cell: its own gates and init)");
    if (options.model == "irnn") refuse_given_flags(app, {"--channels", "--kernel"}, kIrnnRefusal);
    if (options.model == "fc")  // the authors' --n_hid is the MLP's width: --mlp-hidden
      refuse_given_flags(app,
                         {"--n", "--channels", "--kernel", "--act", "--init", "--v-init",
                          "--freeze-rnn", "--freeze-encoder", "--tape-checkpoint-every"},
                         "--model fc (no recurrent cell: a readout over the flattened image; "
                         "its hidden layer is --readout mlp --mlp-hidden H)");
    if (options.lr_scheduler != "plateau")
      refuse_given_flags(app, {"--lr-plateau-metric"}, "--lr-scheduler " + options.lr_scheduler);
    const nlohmann::json results = run_seq_image(options, std::cerr);
    if (is_root_process()) print_result(results.dump(2));
    return 0;
  });
}

}  // namespace wrnn::examples

// The tests run this program in-process (seq_image_main) and compile this file without main().
#ifndef WRNN_PROGRAM_WITHOUT_MAIN
int main(int argc, char** argv) {
  return wrnn::examples::data_parallel_main("seq_image", argc, argv,
                                            wrnn::examples::seq_image_main);
}
#endif
