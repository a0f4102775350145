// Tests of the compute plane: models, flat parameters, gradient steps, flat SGD, evaluation,
// solo throughput and thread pinning. Torch comes before Catch: see TOOLCHAIN.md on glog's CHECK.
#include "gpu/evaluation.hpp"
#include "gpu/fashion_mnist.hpp"
#include "gpu/flat_math.hpp"
#include "gpu/flat_parameters.hpp"
#include "gpu/flat_sgd.hpp"
#include "gpu/gradient_step.hpp"
#include "gpu/models.hpp"
#include "gpu/shard_sampler.hpp"
#include "gpu/solo_throughput.hpp"
#include "gpu/tensor_checks.hpp"
#include "gpu/torch_threads.hpp"

#include <ATen/ATen.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using namespace hetsgd;

namespace {

const fashion_mnist& data() {
  static const auto loaded = shared_fashion_mnist();
  return *loaded;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

CATCH_TEST_CASE("make_model builds every named model with 10 logits", "[models]") {
  CATCH_REQUIRE(model_names() == std::vector<std::string>{"mlp", "cnn"});
  for (const auto& name : model_names()) {
    auto model = make_model(name, 1);
    CATCH_CHECK(model->name() == name);
    const auto logits = model->forward(at::randn({5, 1, 28, 28}));
    CATCH_CHECK(logits.sizes() == at::IntArrayRef({5, 10}));
  }
  CATCH_CHECK(parameter_count(*make_model("mlp", 1)) == 235146);
  // conv1 8*1*5*5+8 = 208, conv2 16*8*5*5+16 = 3,216, fc1 256*64+64 = 16,448, fc2 64*10+10 = 650
  CATCH_CHECK(parameter_count(*make_model("cnn", 1)) == 20522);
}

CATCH_TEST_CASE("make_model rejects an unknown name, listing the choices", "[models]") {
  try {
    make_model("resnet50");
    CATCH_FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("resnet50"));
    CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("mlp"));
    CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("cnn"));
  }
}

CATCH_TEST_CASE("make_model(name, seed) is repeatable whatever the global generator", "[models]") {
  for (const auto& name : model_names()) {
    torch::manual_seed(1);
    const auto a = flatten_parameters(*make_model(name, 5));
    torch::manual_seed(2);
    at::randn({100});  // move the global generator on
    const auto b = flatten_parameters(*make_model(name, 5));
    const auto c = flatten_parameters(*make_model(name, 6));
    CATCH_CHECK(at::equal(a, b));
    CATCH_CHECK(!at::equal(a, c));
    // Default-like init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the MLP's first layer has
    // fan_in 784, bound 0.0357, and the largest bound of either model is 1/sqrt(25) = 0.2.
    CATCH_CHECK(a.abs().max().item<double>() <= 0.2 + 1e-6);
    CATCH_CHECK(a.abs().max().item<double>() > 0.03);
  }
  // Unseeded construction follows torch::manual_seed.
  torch::manual_seed(9);
  const auto u1 = flatten_parameters(*make_model("cnn"));
  torch::manual_seed(9);
  const auto u2 = flatten_parameters(*make_model("cnn"));
  CATCH_CHECK(at::equal(u1, u2));
}

CATCH_TEST_CASE("flatten and load parameters round-trip", "[flat]") {
  auto a = make_model("cnn", 1);
  auto b = make_model("cnn", 2);
  const auto flat = flatten_parameters(*a);
  CATCH_CHECK(flat.dim() == 1);
  CATCH_CHECK(flat.is_contiguous());
  CATCH_CHECK(flat.numel() == parameter_count(*a));
  CATCH_CHECK(!flat.requires_grad());
  // The layout is parameters() in order.
  int64_t offset = 0;
  for (const auto& p : a->parameters()) {
    CATCH_CHECK(at::equal(flat.narrow(0, offset, p.numel()), p.detach().reshape({-1})));
    offset += p.numel();
  }
  load_flat_parameters(*b, flat);
  CATCH_CHECK(at::equal(flatten_parameters(*b), flat));
  // A copy, not a view: changing the flat tensor leaves the module alone, and vice versa.
  flat.add_(1.0);
  CATCH_CHECK(!at::equal(flatten_parameters(*b), flat));
  const auto x = at::randn({3, 1, 28, 28});
  {
    torch::NoGradGuard g;
    CATCH_CHECK(at::equal(a->forward(x), b->forward(x)));
  }
  // Parameters still require grad after loading, and loading recorded no history.
  for (const auto& p : b->parameters()) {
    CATCH_CHECK(p.requires_grad());
    CATCH_CHECK(p.grad_fn() == nullptr);
  }
  CATCH_CHECK_THROWS_AS(load_flat_parameters(*b, at::zeros({10})), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(load_flat_parameters(*b, at::zeros({2, 10261})), std::invalid_argument);
}

CATCH_TEST_CASE("flatten_gradients matches the per-parameter gradients", "[flat]") {
  auto model = make_model("mlp", 3);
  CATCH_CHECK(flatten_gradients(*model).abs().sum().item<double>() == 0);  // all undefined
  const auto indices = at::arange(0, 8, at::kLong);
  accumulate_gradients(*model, data().train, indices);
  const auto flat = flatten_gradients(*model);
  CATCH_REQUIRE(flat.numel() == 235146);
  int64_t offset = 0;
  for (const auto& p : model->parameters()) {
    CATCH_REQUIRE(p.grad().defined());
    CATCH_CHECK(at::equal(flat.narrow(0, offset, p.numel()), p.grad().reshape({-1})));
    offset += p.numel();
  }
  CATCH_CHECK(flat.abs().sum().item<double>() > 0);
  zero_gradients(*model);
  CATCH_CHECK(flatten_gradients(*model).abs().sum().item<double>() == 0);
  for (const auto& p : model->parameters())
    CATCH_CHECK(p.grad().defined());  // buffers kept
}

CATCH_TEST_CASE("accumulate_gradients sums: 16 + 16 equals 32", "[step]") {
  for (const auto& name : model_names()) {
    auto model = make_model(name, 4);
    const auto indices = at::arange(1000, 1032, at::kLong);
    const auto whole = accumulate_gradients(*model, data().train, indices);
    const auto g32 = flatten_gradients(*model);
    zero_gradients(*model);
    const auto r1 = accumulate_gradients(*model, data().train, indices.narrow(0, 0, 16));
    const auto r2 = accumulate_gradients(*model, data().train, indices.narrow(0, 16, 16));
    const auto g16x2 = flatten_gradients(*model);
    CATCH_CHECK(max_abs_diff(g32, g16x2) < 1e-5);
    CATCH_CHECK(g32.abs().max().item<double>() > 1e-2);  // not trivially zero
    CATCH_CHECK(whole.samples == 32);
    CATCH_CHECK(r1.samples + r2.samples == 32);
    CATCH_CHECK(r1.correct + r2.correct == whole.correct);
    CATCH_CHECK(std::abs(r1.loss_sum + r2.loss_sum - whole.loss_sum) < 1e-4);
    // An untrained model's loss is about ln 10 per sample.
    CATCH_CHECK(std::abs(whole.loss_sum / 32 - std::log(10.0)) < 0.5);
  }
  auto model = make_model("mlp", 4);
  CATCH_CHECK(accumulate_gradients(*model, data().train, at::zeros({0}, at::kLong)).samples == 0);
  CATCH_CHECK_THROWS_AS(accumulate_gradients(*model, data().train, at::zeros({4})),
                        std::invalid_argument);
}

CATCH_TEST_CASE("flat_sgd without momentum takes w - lr * g", "[sgd]") {
  auto w = at::randn({1000});
  const auto w0 = w.clone();
  const auto g = at::randn({1000});
  flat_sgd sgd(0.1);
  sgd.step(w, g);
  CATCH_CHECK(max_abs_diff(w, w0 - 0.1 * g) < 1e-6);
  CATCH_CHECK(sgd.steps() == 1);
  sgd.set_lr(0.5);
  CATCH_CHECK(sgd.lr() == 0.5);
  const auto w1 = w.clone();
  sgd.step(w, g);
  CATCH_CHECK(max_abs_diff(w, w1 - 0.5 * g) < 1e-6);
  auto wrong = at::zeros({10});
  CATCH_CHECK_THROWS_AS(sgd.step(wrong, g), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(flat_sgd(-1.0), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(flat_sgd(0.1, 1.0), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(sgd.set_lr(-0.1), std::invalid_argument);
}

CATCH_TEST_CASE("assign_scaled and add_scaled compute alpha*src into kept buffers", "[flat_math]") {
  const auto src = at::randn({5000});
  at::Tensor dst;
  assign_scaled(dst, src, 0.5);
  CATCH_CHECK(max_abs_diff(dst, src * 0.5) < 1e-6);
  const auto* storage = dst.data_ptr<float>();
  assign_scaled(dst, src, 2.0);  // unshared and the right shape: same storage, new values
  CATCH_CHECK(dst.data_ptr<float>() == storage);
  CATCH_CHECK(max_abs_diff(dst, src * 2.0) < 1e-6);
  auto held = dst;  // someone else holds it now: it must not be overwritten
  assign_scaled(dst, src, 3.0);
  CATCH_CHECK(dst.data_ptr<float>() != storage);
  CATCH_CHECK(max_abs_diff(held, src * 2.0) < 1e-6);
  CATCH_CHECK(max_abs_diff(dst, src * 3.0) < 1e-6);
  add_scaled(dst, src, -1.0);
  CATCH_CHECK(max_abs_diff(dst, src * 2.0) < 1e-6);
  // Fallback path: doubles and non-contiguous tensors give the same results.
  auto d64 = at::zeros({4}, at::kDouble);
  add_scaled(d64, at::ones({4}, at::kDouble), 0.25);
  CATCH_CHECK(d64.sum().item<double>() == 1.0);
  auto strided = at::randn({10, 10}).t();
  at::Tensor out;
  assign_scaled(out, strided, 1.0);
  CATCH_CHECK(max_abs_diff(out.contiguous(), strided.contiguous()) < 1e-6);
  auto wrong = at::zeros({3});
  CATCH_CHECK_THROWS_AS(add_scaled(wrong, src, 1.0), std::invalid_argument);
}

CATCH_TEST_CASE("all_finite finds NaN and both infinities anywhere", "[checks]") {
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    for (int64_t pos : {int64_t{0}, int64_t{4097}, int64_t{9999}}) {
      auto t = at::randn({10000});
      t[pos] = bad;
      CATCH_CHECK(!all_finite(t));
      CATCH_CHECK(!all_finite(t.view({100, 100}).t()));  // non-contiguous: the LibTorch path
    }
  }
  auto big = at::full({10000}, 3.0e38f);  // large but finite
  CATCH_CHECK(all_finite(big));
}

CATCH_TEST_CASE("flat_sgd step_scaled equals step on the mean, with and without momentum",
                "[sgd]") {
  const auto g_sum = at::randn({1000}) * 64.0;
  const double scale = 1.0 / 64.0;
  for (double momentum : {0.0, 0.9}) {
    auto a = at::randn({1000});
    auto b = a.clone();
    flat_sgd by_mean(0.1, momentum, momentum > 0 ? 1e-3 : 0.0);
    flat_sgd by_sum(0.1, momentum, momentum > 0 ? 1e-3 : 0.0);
    for (int step = 0; step < 3; ++step) {
      by_mean.step(a, g_sum * scale);
      by_sum.step_scaled(b, g_sum, scale);
    }
    CATCH_CHECK(max_abs_diff(a, b) < 1e-5);
    CATCH_CHECK(by_sum.steps() == 3);
  }
  flat_sgd sgd(0.1);
  auto wrong = at::zeros({10});
  CATCH_CHECK_THROWS_AS(sgd.step_scaled(wrong, g_sum, scale), std::invalid_argument);
}

CATCH_TEST_CASE("flat_sgd with momentum and weight decay matches torch::optim::SGD", "[sgd]") {
  const double lr = 0.05, momentum = 0.9, wd = 1e-3;
  auto reference = make_model("cnn", 8);
  torch::optim::SGD torch_sgd(reference->parameters(),
                              torch::optim::SGDOptions(lr).momentum(momentum).weight_decay(wd));
  auto flat = flatten_parameters(*reference);
  flat_sgd ours(lr, momentum, wd);
  for (int step = 0; step < 3; ++step) {
    zero_gradients(*reference);
    const auto indices = at::arange(64 * step, 64 * step + 64, at::kLong);
    accumulate_gradients(*reference, data().train, indices);
    const auto mean_gradient = flatten_gradients(*reference) / 64.0;
    {
      torch::NoGradGuard g;
      for (auto& p : reference->parameters())
        p.mutable_grad().div_(64.0);
    }
    torch_sgd.step();
    ours.step(flat, mean_gradient);
    CATCH_CHECK(max_abs_diff(flat, flatten_parameters(*reference)) < 1e-6);
    // Keep the replicas in lock-step so that the next gradient is the same for both.
  }
  CATCH_CHECK(ours.momentum_buffer().defined());
}

CATCH_TEST_CASE("all_finite and count_non_finite", "[checks]") {
  auto t = at::zeros({100});
  CATCH_CHECK(all_finite(t));
  CATCH_CHECK(count_non_finite(t) == 0);
  t[3] = std::numeric_limits<float>::quiet_NaN();
  t[50] = std::numeric_limits<float>::infinity();
  t[99] = -std::numeric_limits<float>::infinity();
  CATCH_CHECK(!all_finite(t));
  CATCH_CHECK(count_non_finite(t) == 3);
  CATCH_CHECK(all_finite(at::arange(10)));
  CATCH_CHECK(all_finite(at::Tensor()));
  CATCH_CHECK(all_finite(at::zeros({0})));
}

CATCH_TEST_CASE("a few hundred flat SGD steps of the MLP learn Fashion-MNIST", "[train]") {
  pin_compute_threads_to_one();
  const auto train = data().train.slice(0, 5000);
  auto model = make_model("mlp", 21);
  model->train();
  shard_sampler sampler(train.size(), 0, 1, 21);
  auto weights = flatten_parameters(*model);
  flat_sgd sgd(0.05, 0.9, 0.0);
  const auto before = evaluate(*model, data().test, 2000);
  for (int step = 0; step < 300; ++step) {
    // Two micro-batches of 32 per step, as a worker with micro_batch 32 and batch 64 does.
    const auto r1 = accumulate_gradients(*model, train, sampler.next(32));
    const auto r2 = accumulate_gradients(*model, train, sampler.next(32));
    const auto mean_gradient = flatten_gradients(*model) / double(r1.samples + r2.samples);
    CATCH_REQUIRE(all_finite(mean_gradient));
    zero_gradients(*model);
    sgd.step(weights, mean_gradient);
    load_flat_parameters(*model, weights);
  }
  CATCH_CHECK(sampler.epoch() == 300 * 64 / 5000);
  const auto after = evaluate(*model, data().test, 2000);
  CATCH_CHECK(after.samples == 2000);
  CATCH_CHECK(before.accuracy < 0.3);
  CATCH_CHECK(after.accuracy > 0.7);
  CATCH_CHECK(after.loss < before.loss);
}

CATCH_TEST_CASE("the CNN learns Fashion-MNIST with plain micro-batch steps", "[train]") {
  pin_compute_threads_to_one();
  const auto train = data().train.slice(0, 5000);
  auto model = make_model("cnn", 22);
  shard_sampler sampler(train.size(), 0, 1, 22);
  auto weights = flatten_parameters(*model);
  flat_sgd sgd(0.05, 0.9, 0.0);
  for (int step = 0; step < 200; ++step) {
    const auto r = accumulate_gradients(*model, train, sampler.next(64));
    sgd.step(weights, flatten_gradients(*model) / double(r.samples));
    zero_gradients(*model);
    load_flat_parameters(*model, weights);
  }
  const auto after = evaluate(*model, data().test, 2000);
  CATCH_CHECK(after.accuracy > 0.65);
}

CATCH_TEST_CASE("evaluate counts, averages and restores the mode", "[eval]") {
  auto model = make_model("cnn", 2);
  model->train();
  const auto all = evaluate(*model, data().test.slice(0, 300));
  const auto batched = evaluate(*model, data().test, 300, 7);
  CATCH_CHECK(all.samples == 300);
  CATCH_CHECK(batched.samples == 300);
  CATCH_CHECK(std::abs(all.accuracy - batched.accuracy) < 1e-12);
  CATCH_CHECK(std::abs(all.loss - batched.loss) < 1e-5);
  CATCH_CHECK(model->is_training());
  CATCH_CHECK(evaluate(*model, data().test.slice(0, 10), 1000).samples == 10);
  CATCH_CHECK_THROWS_AS(evaluate(*model, data().test, -1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(evaluate(*model, data().test, 0, 0), std::invalid_argument);
  // Gradients are untouched by evaluation.
  CATCH_CHECK(flatten_gradients(*model).abs().sum().item<double>() == 0);
}

CATCH_TEST_CASE("pin_compute_threads_to_one and solo throughput", "[threads]") {
  const auto pinned = pin_compute_threads_to_one();
  CATCH_CHECK(at::get_num_threads() == 1);
  CATCH_CHECK(pinned.openblas_set);  // Debian's libtorch runs on OpenBLAS here
  CATCH_CHECK(openblas_threads() == 1);
  pin_compute_threads_to_one();  // repeatable
  const double rate = measure_solo_throughput("mlp", data().train, 64, 0.2, 1);
  CATCH_CHECK(rate > 100);
  CATCH_CHECK(std::isfinite(rate));
  CATCH_CHECK_THROWS_AS(measure_solo_throughput("mlp", data().train, 0, 0.1, 1),
                        std::invalid_argument);
  CATCH_CHECK_THROWS_AS(measure_solo_throughput("nope", data().train, 8, 0.1, 1),
                        std::invalid_argument);
}
