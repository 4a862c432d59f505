/// \file
/// Everything in wrnn::analysis: recording states, space-time images, GIF animations, 2-D spectra
/// (wrnn's and the authors' measure), wave speed, the wave verdict and pictures of the recurrent
/// kernels. Needs the wrnn::analysis CMake target (FFTW3, giflib, stb).
#pragma once

#include "wrnn/analysis/animation.hpp"
#include "wrnn/analysis/authors_fft_measure.hpp"
#include "wrnn/analysis/colormap.hpp"
#include "wrnn/analysis/copy_outputs_image.hpp"
#include "wrnn/analysis/image.hpp"
#include "wrnn/analysis/kernel_image.hpp"
#include "wrnn/analysis/panels.hpp"
#include "wrnn/analysis/space_time_image.hpp"
#include "wrnn/analysis/spectrum.hpp"
#include "wrnn/analysis/state_recording.hpp"
#include "wrnn/analysis/wave_analysis.hpp"
#include "wrnn/analysis/wave_speed.hpp"
