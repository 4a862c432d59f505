// The example programs' mains, compiled once for all of them in program_mains.cpp: most of a
// program's compile is the models' training code, the flags' and the JSON library, which the
// programs share (apart: 218 s of compile, together about half; g++ 12, 2 cores, AVX-512).
// Each examples/<program>.cpp is a main() that calls one of these.
#pragma once

namespace wrnn::examples {

// The copy task (docs/model.md, "Tasks"), gap T = 30 by default. Gradients are clipped to norm 1 by
// default (without it, Adam now and then throws a trained wave-RNN back up by three orders of
// magnitude for a few hundred steps).
int copy_task_main(int argc, char** argv);

// The adding task, T = 100 by default. Gradients are clipped to norm 1 by default: without
// clipping the wave-RNN stalls at the mean predictor (MSE 1/6) for the first thousand steps (see
// README).
int adding_task_main(int argc, char** argv);

// sMNIST, psMNIST and noisy sequential CIFAR-10 (seq_image_program.hpp).
int seq_image_program_main(int argc, char** argv);

// The wave-RNN / iRNN gallery (wave_gallery_program.hpp).
int wave_gallery_program_main(int argc, char** argv);

}  // namespace wrnn::examples
