// A program's own model (register_model_factory) and its own data set (labeled_data): how they
// are built, and how a factory or a data set that is wrong is reported. Torch before Catch.
#include "gpu/flat_parameters.hpp"
#include "gpu/image_dataset.hpp"
#include "gpu/models.hpp"

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

using namespace hetsgd;

namespace {

class two_by_two final : public classifier {
 public:
  two_by_two() : classifier("two_by_two"), fc_(register_module("fc", torch::nn::Linear(2, 2))) {}
  at::Tensor forward(at::Tensor x) override { return fc_->forward(x); }

 private:
  torch::nn::Linear fc_{nullptr};
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

labeled_data small_data() {
  labeled_data d;
  d.train = {at::randn({6, 2}), at::tensor({0, 1, 0, 1, 0, 1}, at::kLong)};
  d.test = {at::randn({2, 2}), at::tensor({1, 0}, at::kLong)};
  return d;
}

}  // namespace

CATCH_TEST_CASE("a registered factory builds the model by name with the run's seed",
                "[gpu][registered]") {
  std::uint64_t seen_seed = 0;
  register_model_factory("two_by_two", [&](std::uint64_t seed) {
    seen_seed = seed;
    return std::make_shared<two_by_two>();
  });
  auto names = model_names();
  CATCH_CHECK(std::find(names.begin(), names.end(), "two_by_two") != names.end());
  auto model = make_model("two_by_two", 42);
  CATCH_CHECK(seen_seed == 42);
  CATCH_CHECK(parameter_count(*model) == 6);
  CATCH_CHECK(model->forward(at::zeros({3, 2})).sizes() == at::IntArrayRef({3, 2}));
  // The built-in models are unchanged and cannot be replaced.
  CATCH_CHECK(parameter_count(*make_model("cnn", 1)) == 20522);
  CATCH_CHECK(message_of([] {
                register_model_factory(
                  "mlp", [](std::uint64_t) { return std::make_shared<two_by_two>(); });
              }) == "register_model_factory: 'mlp' is a built-in model; choose another name");
  CATCH_CHECK(message_of([] {
                register_model_factory(
                  "", [](std::uint64_t) { return std::make_shared<two_by_two>(); });
              }) == "register_model_factory: the model name is empty");
  CATCH_CHECK(message_of([] { register_model_factory("empty_factory", {}); }) ==
              "register_model_factory: the factory of 'empty_factory' is empty");
  CATCH_CHECK(message_of([] {
                make_model("no_such_model", 1);
              }).rfind("unknown model 'no_such_model'; choices are: mlp, cnn, ", 0) == 0);
}

CATCH_TEST_CASE("a factory that fails is reported with its model's name and its message",
                "[gpu][registered]") {
  register_model_factory(
    "throws", [](std::uint64_t) -> model_handle { throw std::runtime_error("out of coffee"); });
  register_model_factory("returns_nothing", [](std::uint64_t) { return model_handle(); });
  register_model_factory("throws_int", [](std::uint64_t) -> model_handle { throw 7; });
  CATCH_CHECK(message_of([] { make_model("throws", 1); }) ==
              "model factory 'throws' failed: out of coffee");
  CATCH_CHECK(message_of([] { make_model("returns_nothing", 1); }) ==
              "model factory 'returns_nothing' failed: it returned no model");
  CATCH_CHECK(message_of([] { make_model("throws_int", 1); }) ==
              "model factory 'throws_int' failed: it threw a non-std exception");
}

CATCH_TEST_CASE("check_labeled_data names the split and the tensor that is wrong",
                "[gpu][registered]") {
  CATCH_CHECK(check_labeled_data(small_data()).empty());
  auto d = small_data();
  d.test = image_dataset{};
  CATCH_CHECK(check_labeled_data(d) == "test: images or labels are missing");
  d = small_data();
  d.train.labels = d.train.labels.narrow(0, 0, 5);
  CATCH_CHECK(check_labeled_data(d) == "train: 6 images but 5 labels");
  d = small_data();
  d.train.images = d.train.images.to(at::kDouble);
  CATCH_CHECK(check_labeled_data(d) == "train: images must be float32 on the CPU");
  d = small_data();
  d.test.labels = d.test.labels.to(at::kInt);
  CATCH_CHECK(check_labeled_data(d) == "test: labels must be a 1-D int64 tensor on the CPU");
  d = small_data();
  d.test.labels = at::tensor({1, -1}, at::kLong);
  CATCH_CHECK(check_labeled_data(d) == "test: a label is negative");
  d = small_data();
  d.test.images = at::randn({2, 3});
  CATCH_CHECK(check_labeled_data(d) ==
              "train and test images differ in shape past the first dimension");
  d = small_data();
  d.train.images = at::randn({6});
  d.train.labels = at::zeros({6}, at::kLong);
  CATCH_CHECK(check_labeled_data(d) ==
              "train: images must be [N, ...] with at least 2 dimensions, not 1");
}
