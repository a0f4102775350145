// OD-SGD's local compensating step on flat vectors, against the formula written out by hand.
#include <ATen/ATen.h>  // torch before catch: glog's CHECK must not replace Catch's

#include <catch2/catch.hpp>

#include "gpu/local_compensation.hpp"

using hetsgd::local_compensated_weights;

namespace {

at::Tensor vec(std::initializer_list<float> xs) {
  return at::tensor(std::vector<float>(xs), at::kFloat);
}

}  // namespace

CATCH_TEST_CASE("local step: w = W - lr * G / n, from the global weights, inputs untouched",
                "[local_compensation]") {
  auto W = vec({1.0f, 2.0f, -3.0f});
  auto G = vec({4.0f, -8.0f, 2.0f});  // gradient SUM of n = 4 samples
  auto then = vec({0.0f, 0.0f, 0.0f});
  auto w = local_compensated_weights(W, G, 4.0, 0.5, then, 0.0);
  // g = (1, -2, 0.5); w = W - 0.5 g
  CATCH_CHECK(w[0].item<float>() == Approx(0.5f));
  CATCH_CHECK(w[1].item<float>() == Approx(3.0f));
  CATCH_CHECK(w[2].item<float>() == Approx(-3.25f));
  // W is a shared snapshot: never written.
  CATCH_CHECK(W[0].item<float>() == 1.0f);
  CATCH_CHECK(w.data_ptr<float>() != W.data_ptr<float>());
}

CATCH_TEST_CASE("local step with no samples keeps the global weights", "[local_compensation]") {
  auto W = vec({1.0f, 2.0f});
  auto w = local_compensated_weights(W, at::Tensor(), 0.0, 0.5, at::Tensor(), 0.0);
  CATCH_CHECK(at::equal(w, W));
}

CATCH_TEST_CASE("delay compensation adds lambda * g * g * (W - w_then)", "[local_compensation]") {
  auto W = vec({1.0f, 2.0f});
  auto G = vec({2.0f, -6.0f});    // n = 2: g = (1, -3)
  auto then = vec({0.0f, 2.5f});  // W - then = (1, -0.5)
  const double lambda = 0.04, lr = 0.1;
  auto w = local_compensated_weights(W, G, 2.0, lr, then, lambda);
  // c = g + λ g² (W − then) = (1 + 0.04·1·1, −3 + 0.04·9·(−0.5)) = (1.04, −3.18)
  CATCH_CHECK(w[0].item<float>() == Approx(1.0 - lr * 1.04));
  CATCH_CHECK(w[1].item<float>() == Approx(2.0 - lr * -3.18));
  // With W == w_then there is no delay, so no compensation.
  auto same = local_compensated_weights(W, G, 2.0, lr, W, lambda);
  CATCH_CHECK(same[0].item<float>() == Approx(1.0 - lr * 1.0));
}

CATCH_TEST_CASE("local step refuses mismatched sizes", "[local_compensation]") {
  auto W = vec({1.0f, 2.0f});
  CATCH_CHECK_THROWS_AS(local_compensated_weights(W, vec({1.0f}), 1.0, 0.1, W, 0.0),
                        std::invalid_argument);
  CATCH_CHECK_THROWS_AS(local_compensated_weights(W, W, 1.0, 0.1, vec({1.0f}), 0.04),
                        std::invalid_argument);
}
