/// \file
/// wrnn: wave-RNN cells for C++ (Keller, Muller, Sejnowski, Welling, ICLR 2024).
/// The umbrella header: everything that needs no library beyond Eigen, xsimd and threads (CMake
/// target wrnn::wrnn).
#pragma once

#include "wrnn/cells/dense.hpp"
#include "wrnn/cells/gru.hpp"
#include "wrnn/cells/loco.hpp"
#include "wrnn/cells/lstm.hpp"
#include "wrnn/cells/streaming_wave_cell.hpp"
#include "wrnn/cells/wave.hpp"
#include "wrnn/core/activation.hpp"
#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/sequence.hpp"
#include "wrnn/model/batch_stepper.hpp"
#include "wrnn/model/flat_classifier.hpp"
#include "wrnn/model/readout.hpp"
#include "wrnn/model/sequence_model.hpp"
#include "wrnn/tasks/adding_task.hpp"
#include "wrnn/tasks/copy_task.hpp"
#include "wrnn/train/gradient_clipping.hpp"
#include "wrnn/train/loss.hpp"
#include "wrnn/train/one_cycle_schedule.hpp"
#include "wrnn/train/optimizer.hpp"
#include "wrnn/train/plateau_schedule.hpp"
#include "wrnn/train/schedule.hpp"
#include "wrnn/train/trainer.hpp"
