// embed_example: a program that uses hetsgd as a library. It trains its own small model on its
// own synthetic data in its own CAF actor system, follows the rounds through the event
// subscription, and trains twice, first under ssgd (every round sums all workers) and then under
// asgd (each push is applied alone). Each run begins paused; the program asks for its status and
// starts it with a typed message.
// Usage: embed_example OUT_DIR. Exits 0 when both runs end and learn; 1 otherwise, saying why.

#include <hetsgd/hetsgd.hpp>

#include <torch/torch.h>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <variant>

namespace {

constexpr int64_t features = 8;  // inputs per sample
constexpr int64_t classes = 3;

/// The program's own model: 8 -> 16 -> 3 with a ReLU. hetsgd needs only forward(); every replica
/// is built by the factory registered below.
class blob_classifier : public hetsgd::classifier {
 public:
  blob_classifier()
      : hetsgd::classifier("blob_classifier"),
        hidden_(register_module("hidden", torch::nn::Linear(features, 16))),
        out_(register_module("out", torch::nn::Linear(16, classes))) {}
  at::Tensor forward(at::Tensor x) override {
    return out_->forward(torch::relu(hidden_->forward(x)));
  }

 private:
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Linear out_{nullptr};
};

/// n samples of three Gaussian blobs (one per class, centres fixed by the seed), [n, 8] float32.
hetsgd::image_dataset make_blobs(int64_t n, uint64_t seed) {
  auto centres_gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto centres = at::randn({classes, features}, centres_gen) * 2.0;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto labels = at::randint(classes, {n}, gen, at::kLong);
  auto images = centres.index_select(0, labels) + at::randn({n, features}, gen);
  return {images.to(at::kFloat).contiguous(), labels};
}

/// One run with `policy`; prints what it saw and returns whether it learned.
bool train_once(caf::actor_system& sys, const std::string& policy, const std::string& out_dir,
                const std::shared_ptr<const hetsgd::labeled_data>& data) {
  const std::string toml = R"(
[model]
name = "blob_classifier"
[policy]
name = ")" + policy + R"("
[cluster]
workers = 2
[train]
batch = 32
micro_batch = 32
lr = 0.05
max_samples = 30000
max_seconds = 60.0
[output]
plots = false
progress_every_s = 0.0
)";
  auto loaded = hetsgd::load_config_string(toml, "embed_example.toml");
  if (auto* err = std::get_if<hetsgd::config_error>(&loaded)) {
    std::fprintf(stderr, "embed_example: %s\n", err->message.c_str());
    return false;
  }
  auto& lc = std::get<hetsgd::loaded_config>(loaded);

  std::atomic<int> rounds_seen{0};
  std::atomic<int> evaluations_seen{0};
  hetsgd::run_options opts;
  opts.out_dir = out_dir + "/" + policy;
  opts.effective_toml = lc.effective_toml;
  opts.data = data;
  // Called on hetsgd's recorder thread for every event: keep it short and thread-safe.
  opts.on_event = [&](const nlohmann::json& e) {
    const auto type = e.value("type", "");
    if (type == "round")
      rounds_seen += 1;
    else if (type == "evaluation")
      evaluations_seen += 1;
  };
  // The run's actors live in the program's system; the run waits for the program's start.
  opts.system = &sys;
  opts.start_paused = true;
  std::string control_error;
  opts.on_started = [&](const caf::actor& run) {
    caf::scoped_actor self{sys};
    const auto deadline = std::chrono::seconds(30);
    self->request(run, deadline, hetsgd::status_atom::value)
      .receive(
        [&](const hetsgd::run_status_msg& s) {
          std::printf("embed_example: policy %s: before the start, paused %s\n", policy.c_str(),
                      s.paused ? "yes" : "no");
        },
        [&](caf::error& e) { control_error = "status: " + sys.render(e); });
    self->request(run, deadline, hetsgd::run_atom::value)
      .receive([](bool) {}, [&](caf::error& e) { control_error = "start: " + sys.render(e); });
  };
  auto result = hetsgd::run_training(lc.cfg, opts);
  if (!control_error.empty()) {
    std::fprintf(stderr, "embed_example: %s run: %s\n", policy.c_str(), control_error.c_str());
    return false;
  }
  if (result.exit_code != 0) {
    std::fprintf(stderr, "embed_example: %s run failed (%d): %s\n", policy.c_str(),
                 result.exit_code, result.message.c_str());
    return false;
  }
  auto summary = nlohmann::json::parse(result.summary_json);
  const double accuracy = summary.value("final_accuracy", 0.0);
  const int rounds = summary.value("rounds", 0);
  std::printf(
    "embed_example: policy %s: %d rounds, %d round events received, %d evaluation "
    "events, final accuracy %.3f\n",
    policy.c_str(), rounds, rounds_seen.load(), evaluations_seen.load(), accuracy);
  // Three well separated classes: chance is 1/3, a trained model gets far above it.
  return rounds > 0 && rounds_seen.load() > 0 && accuracy > 0.8;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: embed_example OUT_DIR\n");
    return 2;
  }
  std::printf("embed_example: hetsgd %s\n", hetsgd::version());
  hetsgd::register_model("blob_classifier", [](uint64_t seed) -> hetsgd::model_handle {
    torch::manual_seed(seed);  // the aggregator's starting weights repeat with run.seed
    return std::make_shared<blob_classifier>();
  });
  auto data = std::make_shared<hetsgd::labeled_data>();
  data->train = make_blobs(6000, 1);
  data->test = make_blobs(1000, 2);

  // The program's own actor system, which knows hetsgd's message types.
  caf::actor_system_config cfg;
  hetsgd::register_message_types(cfg);
  caf::actor_system sys{cfg};
  bool ok = true;
  for (const char* policy : {"ssgd", "asgd"})  // the policy changes between the two runs
    ok = train_once(sys, policy, argv[1], data) && ok;
  return ok ? 0 : 1;
}
