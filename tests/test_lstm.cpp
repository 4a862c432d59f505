// LSTMCell against four independent oracles: central finite differences for every parameter's
// gradient (double), a naive per-sample scalar evaluation of torch.nn.LSTM's equations, the
// streaming step against the batch step, and values computed by torch.nn.LSTM itself.
#include "gated_test_support.hpp"
#include "support/gradient_check.hpp"

namespace test_lstm {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::Index;
using Cell = wrnn::LSTMCell<double>;

// ---- PyTorch's values (float64), pasted from the output of:
//        /usr/bin/python3 tests/pytorch_reference_gated.py lstm
// lstm: T=5 B=3 d=3 H=4 o=2, torch 1.13.0a0
// Produced by: /usr/bin/python3 tests/pytorch_reference_gated.py lstm
// h_t for t = 1..T, sample b, unit j at [((t-1)*B + b)*H + j]
const double kTorchLstmHidden[] = {
    0.09049798785836864,   -0.2868134695081595,   -0.14220291978001448, 0.044905034044497194,
    0.01431983590653685,   0.07886884623923342,   0.10393759892309358,  0.10854971673046535,
    -0.028950875173503917, 0.07738470741585877,   0.15753685690478714,  0.20196749234486963,
    -0.027064794637569948, -0.009548846464403984, 0.12793614803133016,  0.28808719951050415,
    -0.02838494690099941,  0.11570547210660295,   0.14028408693325553,  0.20336364780734886,
    0.04385171532754801,   -0.01989889761291052,  0.04048548137413382,  0.1345165172972361,
    0.1676599026780464,    -0.3825257926706956,   -0.12384072509299199, 0.1017456204687354,
    0.20386303874449346,   -0.29492125411110764,  -0.11902930786085285, 0.08961376645458762,
    0.07725976668206777,   0.023880629925197815,  0.04417737409174092,  0.15840054406981163,
    0.002551652434560851,  -0.005691795804908397, 0.14625296060289483,  0.2775070647618995,
    0.009199194892988396,  -0.00970967983384402,  0.12431809708257703,  0.2912671739861722,
    -0.007028499367341369, 0.08791213457417914,   0.12996373694877644,  0.23902414806686273,
    0.03558659487484699,   0.010660855466949769,  0.07390608890795361,  0.17993034551998022,
    0.16222942725879547,   -0.338356069048028,    -0.10406857930917322, 0.10848372925880151,
    0.21860177086311677,   -0.3459216488491814,   -0.13557441739162437, 0.08997990921806119};
// c_T, sample b, unit j at [b*H + j]
const double kTorchLstmFinalCell[] = {
    0.04643821746616109, 0.014759012965421666, 0.12644969650836507,  0.3510184708267003,
    0.18499689438441969, -0.41946480542813885, -0.1912652997183777,  0.36709497621389164,
    0.248743106022589,   -0.4170580894569236,  -0.24484457103958934, 0.3373348311920011};
const double kTorchLstmLoss = 0.1842250802219256;
// dL/dweight_ih_l0, row-major [16, 3]
const double kTorchLstmGrad_weight_ih_l0[] = {
    -0.001868399962301058,   -0.0018605808767079533, -0.0016973804977018225,
    -0.0022347999063476467,  -0.002571870249290724,  -0.0026941579236446525,
    -0.009013024978499276,   -0.009167550048155114,  -0.008556472395702262,
    -0.0031852690003765544,  -0.0018737541741664387, -0.0004057579228461299,
    -0.00023202882517638464, -0.0002681573687369583, -0.00028189148735519596,
    0.0005988466402526054,   0.0008718490545051875,  0.0010720413934496575,
    0.0011598938505666067,   0.0017151981398116816,  0.0021272623749640225,
    6.178829166925224e-05,   0.0007664944406021292,  0.00140718891497379,
    -0.02276290517292001,    -0.023816985817129516,  -0.022882056411954232,
    -0.0018928838760506894,  4.651705590531555e-05,  0.0019820332439069942,
    0.00381270947639046,     0.006047466519010419,   0.007777186032029189,
    -0.006419547389645797,   -0.004683963729012936,  -0.0025572117232547293,
    -0.0006404278052937458,  -0.0006364730537145562, -0.0005793650060079284,
    -0.0005013745381256925,  -0.0004300870802979838, -0.0003228820831396694,
    -0.0030724640321713593,  -0.00276645089263362,   -0.0022294052173742404,
    0.003217085582612478,    0.005072535692234115,   0.006504366938193323};
// dL/dweight_hh_l0, row-major [16, 4]
const double kTorchLstmGrad_weight_hh_l0[] = {
    -6.841001728699301e-05,  5.21817816761069e-05,    -0.00027324498034100403,
    -0.0007263793348383799,  0.0002926486677146436,   -0.0004037157088929372,
    -0.00015221205300280488, 0.00015231959891226314,  0.0006713271971252332,
    -0.0010461860053980632,  -0.0006849242254874771,  -0.0003211461477128201,
    0.00040311784614329436,  -0.00033248930287680105, 0.0007509116542662973,
    0.0019829974328388796,   7.039006520183644e-05,   -0.000123982566764831,
    -2.5775765592732158e-05, 8.309082152353276e-05,   -0.0001846495351289485,
    0.00042476033821247934,  0.00019958384479506005,  -4.035805957220475e-05,
    -0.00011951526019187631, 0.0003529675701647426,   0.00046958166654306136,
    0.0005877104052629287,   0.00010350423037792898,  -1.6905222480294958e-05,
    0.0004991766638350193,   0.0010706660171070639,   0.0008592601700261766,
    -0.0016825167232616017,  -0.0024156877990333036,  -0.003740706703877199,
    0.0001497776057587274,   -3.435303042871081e-05,  0.0013419313546106384,
    0.002596030698741103,    5.389613348080623e-05,   0.0003552070576838823,
    0.0021253277379963565,   0.003989963959329534,    0.0008001593179429254,
    -0.000684720741297908,   0.0010755105343828951,   0.0031419229838249192,
    9.845349428957052e-06,   -3.1316143233428823e-05, -0.00010742154716999909,
    -0.0002258053840539667,  2.4048534677614853e-05,  9.768812162267175e-05,
    9.427978206957727e-05,   0.00011852768505623662,  0.00011301892894471897,
    -9.044177331065674e-05,  -8.718081180175442e-05,  -0.0001550149904448134,
    -5.626047872164289e-05,  0.00041017136221882625,  0.0014345592650866264,
    0.002605660819229094};
// dL/dbias_ih_l0, row-major [16]
const double kTorchLstmGrad_bias_ih_l0[] = {
    -0.0038372470874319994, 0.003592888127203895,   0.003962750755656274, 0.012771799859150668,
    0.0006323877640923674,  -0.0007885838467178986, 0.002128937704799377, 0.005245500275073343,
    -0.01250376765632665,   0.012318727226853008,   0.019357003877399605, 0.021882987824611635,
    -0.0013137726964190578, 0.0015013424581993826,  0.000624828259278432, 0.011010997735604086};
// dL/dbias_hh_l0, row-major [16]
const double kTorchLstmGrad_bias_hh_l0[] = {
    -0.0038372470874319994, 0.003592888127203895,   0.003962750755656274,  0.01277179985915067,
    0.0006323877640923674,  -0.0007885838467178983, 0.002128937704799377,  0.005245500275073344,
    -0.012503767656326652,  0.012318727226853007,   0.01935700387739961,   0.02188298782461164,
    -0.0013137726964190576, 0.0015013424581993826,  0.0006248282592784319, 0.011010997735604088};
// ---- end of PyTorch's values

double sigmoid(double a) {
  return 1.0 / (1.0 + std::exp(-a));
}

// torch.nn.LSTM's equations for one sample, one scalar at a time, straight from the parameter
// vectors (PyTorch layout). Returns [h_t; c_t] for t = 0..T as columns.
template <class Scalar>
wrnn::Matrix<double> naive_lstm(wrnn::LSTMCell<Scalar>& cell, const wrnn::Sequence<Scalar>& x,
                                Index sample) {
  const Index H = cell.hidden_size(), d = cell.input_size(), T = x.steps();
  const auto& w_ih = cell.input_weight().value;
  const auto& b_ih = cell.input_bias().value;
  const auto& w_hh = cell.recurrent_weight().value;
  const auto& b_hh = cell.recurrent_bias().value;
  wrnn::Matrix<double> states = wrnn::Matrix<double>::Zero(2 * H, T + 1);
  std::vector<double> a(static_cast<std::size_t>(4 * H));
  for (Index t = 0; t < T; ++t) {
    for (Index row = 0; row < 4 * H; ++row) {
      double sum = double(b_ih[row]) + double(b_hh[row]);
      for (Index e = 0; e < d; ++e) sum += double(w_ih[row * d + e]) * double(x(t, sample, e));
      for (Index m = 0; m < H; ++m) sum += double(w_hh[row * H + m]) * states(m, t);
      a[static_cast<std::size_t>(row)] = sum;
    }
    for (Index j = 0; j < H; ++j) {
      const double i = sigmoid(a[static_cast<std::size_t>(j)]);
      const double f = sigmoid(a[static_cast<std::size_t>(H + j)]);
      const double g = std::tanh(a[static_cast<std::size_t>(2 * H + j)]);
      const double o = sigmoid(a[static_cast<std::size_t>(3 * H + j)]);
      const double c = f * states(H + j, t) + i * g;
      states(H + j, t + 1) = c;
      states(j, t + 1) = o * std::tanh(c);
    }
  }
  return states;
}

}  // namespace

TEST_CASE("LSTM parameters: PyTorch's names, shapes, order and default init", "[lstm]") {
  gated_test::check_pytorch_layout<wrnn::LSTMCell>(4, 2, 5);
}

TEST_CASE("LSTM options are validated", "[lstm]") {
  gated_test::check_option_validation<wrnn::LSTMCell>();
}

TEST_CASE("LSTM weight count is the paper's: 4H(d+H) plus the readout's weights", "[lstm]") {
  gated_test::check_weight_count<wrnn::LSTMCell>(4, 45000);
}

TEST_CASE("LSTM gradients match finite differences", "[lstm][gradients]") {
  wrnn_test::check_gradients_all_configurations<Cell>({3, 4}, "LSTM d=3 H=4");
  wrnn_test::check_gradients_all_configurations<Cell>({1, 6}, "LSTM d=1 H=6");
  // H = 29 = 16 + 8 + 4 + 1 runs every lane width of the fused loops (AVX-512 floats).
  wrnn_test::check_gradients_all_configurations<Cell>({2, 29}, "LSTM d=2 H=29");
}

TEST_CASE("LSTM forward matches a naive evaluation of the equations", "[lstm]") {
  gated_test::check_forward_against_naive<wrnn::LSTMCell>(
      [](auto& cell, const auto& x, Index b) { return naive_lstm(cell, x, b); });
}

TEST_CASE("LSTM saturated gates stay finite and bounded", "[lstm]") {
  gated_test::check_saturated_gates<wrnn::LSTMCell>(
      [](const wrnn::Matrix<float>& states, Index H, Index t) {
        // |c_t| <= |c_{t-1}| + 1 since f, i in [0, 1] and |g| <= 1.
        CHECK(states.col(t).tail(H).cwiseAbs().maxCoeff() <= float(t));
      });
}

TEST_CASE("LSTM streaming step equals the batch step and never allocates", "[lstm]") {
  gated_test::check_streaming_matches_batch<wrnn::LSTMCell>();
}

TEST_CASE("LSTM matches torch.nn.LSTM: states, loss and every gradient", "[lstm][pytorch]") {
  gated_test::check_matches_pytorch<wrnn::LSTMCell>(
      {kTorchLstmLoss, kTorchLstmHidden, kTorchLstmFinalCell, kTorchLstmGrad_weight_ih_l0,
       kTorchLstmGrad_weight_hh_l0, kTorchLstmGrad_bias_ih_l0, kTorchLstmGrad_bias_hh_l0});
}

}  // namespace test_lstm
