// GRUCell against four independent oracles: central finite differences for every parameter's
// gradient (double), a naive per-sample scalar evaluation of torch.nn.GRU's equations, the
// streaming step against the batch step, and values computed by torch.nn.GRU itself.
#include "gated_test_support.hpp"
#include "support/gradient_check.hpp"

namespace test_gru {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::Index;
using Cell = wrnn::GRUCell<double>;

// ---- PyTorch's values (float64), pasted from the output of:
//        /usr/bin/python3 tests/pytorch_reference_gated.py gru
// gru: T=5 B=3 d=3 H=4 o=2, torch 1.13.0a0
// Produced by: /usr/bin/python3 tests/pytorch_reference_gated.py gru
// h_t for t = 1..T, sample b, unit j at [((t-1)*B + b)*H + j]
const double kTorchGruHidden[] = {
    0.06358416141033632,  -0.4755899059524939,   -0.2963091013483812,  0.07993312034675384,
    -0.07069273706349671, 0.030009273352681207,  0.08498843461928879,  0.14262312015949408,
    -0.14625739333435908, 0.39991030626114993,   0.6163785339553962,   0.25840359642691313,
    -0.19428039377452255, 0.22724752830821826,   0.6171011390491163,   0.4223543460561952,
    -0.21218352978746488, 0.26813970520126196,   0.5114887133379362,   0.35727991225849276,
    0.07623873553378736,  -0.09807005431388438,  -0.03647493821903841, 0.30133418430889075,
    0.30299510103376126,  -0.5156200757988333,   -0.1766232549978587,  0.387867321897831,
    0.29768398946088503,  -0.4742879648991579,   -0.22710424258769535, 0.31958912714698523,
    0.028111776751351424, -0.1411284189316745,   -0.10519315632344348, 0.2715237670078772,
    0.00433813843213221,  0.17469619946745696,   0.49921004530182045,  0.35306194360295623,
    0.01292900789481155,  0.23178853212235562,   0.6685478353162442,   0.40855329670611645,
    -0.17703600386001803, 0.267093969028247,     0.5516610061836578,   0.4122427154044921,
    0.048385981350547655, -0.053139419617272796, 0.07273463994275264,  0.35731844568136395,
    0.34584484291580775,  -0.43561454969893393,  -0.1913048614505496,  0.3706123695540028,
    0.34567427010019686,  -0.5069224190717827,   -0.2204063047601582,  0.3637422044579279};
const double kTorchGruLoss = 0.2656819865599754;
// dL/dweight_ih_l0, row-major [12, 3]
const double kTorchGruGrad_weight_ih_l0[] = {
    -0.003959439934481855,   -0.004149826439557204,  -0.003993651605810848,  -0.0007478378248123625,
    -0.00026581223412778615, 0.00023841193403376722, -0.0023459521997754103, -0.002611416284594167,
    -0.002658795122477556,   -0.010821217790585683,  -0.010470444771467876,  -0.00924526136172039,
    -0.006446409747152257,   -0.007068019653628018,  -0.007099363343032594,  0.020203414438266152,
    0.022354498232660586,    0.022638707604946684,   0.03381062221247928,    0.037368640001140166,
    0.03780591862218343,     0.0077210416656359505,  0.007329271209734035,   0.0063254168317624015,
    -0.04184538948774176,    -0.04439696918683763,   -0.04324085814148439,   -0.021458844503762675,
    -0.01869719610935689,    -0.014374102818339451,  -0.0171730567227828,    -0.009463616910259725,
    -0.0009638491661267371,  -0.05874276445785679,   -0.050050890453043395,  -0.03717915402331473};
// dL/dweight_hh_l0, row-major [12, 4]
const double kTorchGruGrad_weight_hh_l0[] = {
    0.0006074634271670708,   -0.0011432390788244447, -0.0017674959542407934, -0.0006571643622358886,
    -5.959987812622906e-05,  0.00033868654301121134, 0.0015729872466888385,  0.001601733501302553,
    0.0003407346482399179,   -0.0009260917810512963, -0.0004858805440747805, 0.0007672808048091057,
    0.001093265428273826,    -0.003570000994073033,  -0.0005007241565110209, 0.004131750048648775,
    0.0015026696153154228,   -0.003349584002395041,  -0.0005966329580195128, 0.0033968415295466095,
    -0.004050735906629391,   0.00960737312667629,    0.00730648907313502,    -0.002977149007412985,
    -0.005566994805276693,   0.013453058237021894,   0.01984060358983103,    0.006713813753097248,
    -0.00035598261155872415, 0.001625857712513307,   0.0018093810053974905,  9.822558016178218e-05,
    0.0030243287798707563,   -0.006137742549181555,  -0.00787271882116493,   -0.0017473468176551492,
    -0.00037995417899169067, 0.0012365935872028554,  0.006113741597792784,   0.006301026713428529,
    -0.00030322196048677367, 0.001077124869709399,   0.006119883172000097,   0.006741674965474622,
    0.0031397073810337864,   -0.009477124585804395,  0.0019425434925287274,  0.015347401814036762};
// dL/dbias_ih_l0, row-major [12]
const double kTorchGruGrad_bias_ih_l0[] = {
    -0.0010888645698095391, 0.006081983303964405,  0.004379535054930087, 0.02021550221240967,
    0.013329689109985502,   -0.018024345955530086, 0.007875840535856354, -0.00599849361712709,
    0.013612812527957473,   0.07104891478448168,   0.09013619559786683,  0.18387069478972168};
// dL/dbias_hh_l0, row-major [12]
const double kTorchGruGrad_bias_hh_l0[] = {
    -0.001088864569809539,  0.006081983303964405,  0.004379535054930087, 0.02021550221240967,
    0.013329689109985502,   -0.018024345955530086, 0.007875840535856354, -0.00599849361712709,
    -0.0011290660335755215, 0.02270361851295401,   0.025950078548804302, 0.07097716593985541};
// ---- end of PyTorch's values

double sigmoid(double a) {
  return 1.0 / (1.0 + std::exp(-a));
}

// torch.nn.GRU's equations for one sample, one scalar at a time, straight from the parameter
// vectors (PyTorch layout). Returns h_t for t = 0..T as columns.
template <class Scalar>
wrnn::Matrix<double> naive_gru(wrnn::GRUCell<Scalar>& cell, const wrnn::Sequence<Scalar>& x,
                               Index sample) {
  const Index H = cell.hidden_size(), d = cell.input_size(), T = x.steps();
  const auto& w_ih = cell.input_weight().value;
  const auto& b_ih = cell.input_bias().value;
  const auto& w_hh = cell.recurrent_weight().value;
  const auto& b_hh = cell.recurrent_bias().value;
  wrnn::Matrix<double> states = wrnn::Matrix<double>::Zero(H, T + 1);
  std::vector<double> input_part(static_cast<std::size_t>(3 * H));
  std::vector<double> hidden_part(static_cast<std::size_t>(3 * H));
  for (Index t = 0; t < T; ++t) {
    for (Index row = 0; row < 3 * H; ++row) {
      double in = double(b_ih[row]), hid = double(b_hh[row]);
      for (Index e = 0; e < d; ++e) in += double(w_ih[row * d + e]) * double(x(t, sample, e));
      for (Index m = 0; m < H; ++m) hid += double(w_hh[row * H + m]) * states(m, t);
      input_part[static_cast<std::size_t>(row)] = in;
      hidden_part[static_cast<std::size_t>(row)] = hid;
    }
    for (Index j = 0; j < H; ++j) {
      const auto at = [&](const std::vector<double>& v, Index gate) {
        return v[static_cast<std::size_t>(gate * H + j)];
      };
      const double r = sigmoid(at(input_part, 0) + at(hidden_part, 0));
      const double z = sigmoid(at(input_part, 1) + at(hidden_part, 1));
      const double n = std::tanh(at(input_part, 2) + r * at(hidden_part, 2));
      states(j, t + 1) = (1.0 - z) * n + z * states(j, t);
    }
  }
  return states;
}

}  // namespace

TEST_CASE("GRU parameters: PyTorch's names, shapes, order and default init", "[gru]") {
  gated_test::check_pytorch_layout<wrnn::GRUCell>(3, 1, 4);
}

TEST_CASE("GRU options are validated", "[gru]") {
  gated_test::check_option_validation<wrnn::GRUCell>();
}

TEST_CASE("GRU weight count is the paper's: 3H(d+H) plus the readout's weights", "[gru]") {
  gated_test::check_weight_count<wrnn::GRUCell>(3, 34000);
}

TEST_CASE("GRU gradients match finite differences", "[gru][gradients]") {
  wrnn_test::check_gradients_all_configurations<Cell>({3, 4}, "GRU d=3 H=4");
  wrnn_test::check_gradients_all_configurations<Cell>({1, 6}, "GRU d=1 H=6");
  // H = 29 = 16 + 8 + 4 + 1 runs every lane width of the fused loops (AVX-512 floats).
  wrnn_test::check_gradients_all_configurations<Cell>({2, 29}, "GRU d=2 H=29");
}

TEST_CASE("GRU forward matches a naive evaluation of the equations", "[gru]") {
  gated_test::check_forward_against_naive<wrnn::GRUCell>(
      [](auto& cell, const auto& x, Index b) { return naive_gru(cell, x, b); });
}

TEST_CASE("GRU saturated gates stay finite and bounded", "[gru]") {
  // The state is h alone: the shared check's |h| <= 1 is all there is.
  gated_test::check_saturated_gates<wrnn::GRUCell>([](const wrnn::Matrix<float>&, Index, Index) {});
}

TEST_CASE("GRU streaming step equals the batch step and never allocates", "[gru]") {
  gated_test::check_streaming_matches_batch<wrnn::GRUCell>();
}

TEST_CASE("GRU matches torch.nn.GRU: states, loss and every gradient", "[gru][pytorch]") {
  gated_test::check_matches_pytorch<wrnn::GRUCell>(
      {kTorchGruLoss, kTorchGruHidden, nullptr, kTorchGruGrad_weight_ih_l0,
       kTorchGruGrad_weight_hh_l0, kTorchGruGrad_bias_ih_l0, kTorchGruGrad_bias_hh_l0});
}

}  // namespace test_gru
