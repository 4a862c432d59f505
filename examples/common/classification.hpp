// Classification helpers for the sequential-image program: argmax accuracy, a training step that
// also counts correct predictions, and a forward-only evaluation over a set of images in batches.
//
//   prediction_b = argmax_k logits(k, b)      (the first maximum on ties, like torch.argmax)
//   accuracy     = #{b : prediction_b == label_b} / B
//   loss         = mean over examples of the cross-entropy at the last step
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "wrnn/data/data.hpp"
#include "wrnn/wrnn.hpp"

namespace wrnn::examples {

// Index of the largest entry of column `column` (the first one on ties).
template <class Scalar>
Index argmax_column(const Matrix<Scalar>& logits, Index column) {
  Index best = 0;
  for (Index k = 1; k < logits.rows(); ++k)
    if (logits(k, column) > logits(best, column)) best = k;
  return best;
}

// Number of columns whose argmax equals the label (one label per column).
template <class Scalar>
Index count_correct(const Matrix<Scalar>& logits, const std::vector<int>& labels) {
  require_size("count_correct: labels (one per output column)", logits.cols(),
               static_cast<Index>(labels.size()));
  Index correct = 0;
  for (Index b = 0; b < logits.cols(); ++b)
    if (argmax_column(logits, b) == labels[static_cast<std::size_t>(b)]) ++correct;
  return correct;
}

struct ClassificationStep {
  double loss = 0.0;  // mean cross-entropy over the batch
  Index correct = 0;  // predictions (before the update) equal to the label
  double gradient_norm = 0.0;
};

// train_step (wrnn/train/trainer.hpp) for a last-step classifier, also counting the correct
// predictions of the forward pass it already makes, so that the running accuracy costs nothing.
// The same checks: a non-finite loss or gradient norm stops before the weights change.
template <class Model, class Optimizer>
ClassificationStep classification_train_step(Model& model, Optimizer& optimizer,
                                             const Sequence<typename Model::Scalar>& inputs,
                                             const std::vector<int>& labels,
                                             double max_gradient_norm, long long step_number) {
  Targets<typename Model::Scalar> targets;
  targets.classes = labels;
  const StepResult step = train_step(model, optimizer, inputs, targets, LossKind::cross_entropy,
                                     max_gradient_norm, step_number);
  ClassificationStep result;
  result.loss = step.loss;
  result.gradient_norm = step.gradient_norm;
  result.correct = count_correct(model.outputs(), labels);  // the outputs of that forward pass
  return result;
}

struct Evaluation {
  double loss = 0.0;      // mean cross-entropy per example
  double accuracy = 0.0;  // fraction of examples classified right
  Index examples = 0;
};

// Loss and accuracy of the model on dataset images `examples`, read through `view`, in batches of
// `batch_size` (the last batch may be smaller). Forward only: no gradient is touched.
template <class Model>
Evaluation evaluate_classifier(Model& model, const data::SequentialImageView& view,
                               const data::ImageDataset& dataset,
                               const std::vector<Index>& examples, Index batch_size) {
  Evaluation result;
  if (examples.empty()) return result;
  const data::EpochBatches batches = data::EpochBatches::in_order(examples, batch_size);
  Sequence<typename Model::Scalar> x;
  std::vector<int> labels;
  Matrix<typename Model::Scalar> unused_grad;
  double loss_sum = 0.0;
  Index correct = 0;
  for (Index i = 0; i < batches.size(); ++i) {
    view.fill(dataset, batches[i], x, labels);
    const auto& logits = model.infer(x);
    loss_sum += cross_entropy(logits, labels, unused_grad) * static_cast<double>(labels.size());
    correct += count_correct(logits, labels);
  }
  result.examples = static_cast<Index>(examples.size());
  result.loss = loss_sum / static_cast<double>(result.examples);
  result.accuracy = static_cast<double>(correct) / static_cast<double>(result.examples);
  return result;
}

}  // namespace wrnn::examples
