// The checkpoint file format: round trips, and that a torn or partial write never corrupts the
// last good checkpoint (leftovers are ignored, a damaged tensor file is named in a clear error).
// Also the fault schedule position and the counters a resumed run continues from.
#include <ATen/ATen.h>  // torch before catch: glog's CHECK must not replace Catch's

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "actors/checkpoint_state.hpp"
#include "actors/checkpoint_store.hpp"

using namespace hetsgd;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("hetsgd_ckpt_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

/// Writes checkpoint `seq` whose weights are all `value` (n floats) and momentum all -value.
std::string write_one(const std::string& dir, std::uint64_t seq, float value,
                      std::size_t n = 1000) {
  std::vector<float> w(n, value), m(n, -value);
  return write_checkpoint(dir, {{"version", seq * 10}},
                          {{"weights", w.data(), w.size() * sizeof(float)},
                           {"momentum", m.data(), m.size() * sizeof(float)}},
                          seq);
}

float first_weight(const loaded_checkpoint& c) {
  float x = 0.0f;
  std::memcpy(&x, c.blobs.at("weights").data(), sizeof x);
  return x;
}

std::string read_error(const std::string& dir) {
  try {
    read_checkpoint(dir);
  } catch (const checkpoint_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

}  // namespace

CATCH_TEST_CASE("checkpoint store: a written checkpoint reads back byte for byte", "[checkpoint]") {
  auto dir = fresh_dir("roundtrip");
  CATCH_CHECK(write_one(dir, 1, 1.5f) == "tensors-000001.bin");
  auto c = read_checkpoint(dir);
  CATCH_CHECK(c.manifest["version"] == 10);
  CATCH_CHECK(c.manifest["schema"] == checkpoint_schema);
  CATCH_CHECK(c.manifest["sequence"] == 1);
  CATCH_CHECK(c.blobs.at("weights").size() == 4000);
  CATCH_CHECK(c.blobs.at("momentum").size() == 4000);
  CATCH_CHECK(first_weight(c) == 1.5f);
  // The next checkpoint replaces it and removes the old tensor file.
  write_one(dir, 2, 2.5f);
  c = read_checkpoint(dir);
  CATCH_CHECK(first_weight(c) == 2.5f);
  CATCH_CHECK(!fs::exists(fs::path(dir) / "checkpoint" / "tensors-000001.bin"));
  fs::remove_all(dir);
}

CATCH_TEST_CASE("checkpoint store: a write torn at any point leaves the last good checkpoint",
                "[checkpoint]") {
  auto dir = fresh_dir("torn");
  write_one(dir, 1, 1.0f);
  const auto ck = fs::path(dir) / "checkpoint";
  // Crash while writing the next tensor file: a partial temporary file is left behind.
  write_bytes((ck / "tensors-000002.bin.tmp").string(), std::string(1234, 'x'));
  CATCH_CHECK(first_weight(read_checkpoint(dir)) == 1.0f);
  // Crash after the tensor file was renamed, while writing the manifest: the new tensor file is
  // complete but no manifest names it, and the manifest's temporary file is half written.
  write_bytes((ck / "tensors-000002.bin").string(), std::string(8000, 'y'));
  write_bytes((ck / "manifest.json.tmp").string(), "{\"format\": \"hetsgd-chec");
  auto c = read_checkpoint(dir);
  CATCH_CHECK(first_weight(c) == 1.0f);
  CATCH_CHECK(c.manifest["sequence"] == 1);
  CATCH_CHECK(c.blobs.at("momentum").size() == 4000);
  // The next successful write takes over and clears the leftovers.
  write_one(dir, 3, 3.0f);
  CATCH_CHECK(first_weight(read_checkpoint(dir)) == 3.0f);
  for (auto& e : fs::directory_iterator(ck))
    CATCH_CHECK(
      (e.path().filename() == "manifest.json" || e.path().filename() == "tensors-000003.bin"));
  // Writing over the current checkpoint's tensor file is refused, and it stays readable.
  CATCH_CHECK_THROWS_AS(write_one(dir, 3, 9.0f), checkpoint_error);
  CATCH_CHECK(first_weight(read_checkpoint(dir)) == 3.0f);
  fs::remove_all(dir);
}

CATCH_TEST_CASE("checkpoint store: damaged files are detected and named", "[checkpoint]") {
  auto dir = fresh_dir("damaged");
  const auto ck = fs::path(dir) / "checkpoint";
  CATCH_CHECK(contains(read_error(dir), "checkpoint/manifest.json: no checkpoint"));

  write_one(dir, 1, 1.0f);
  const auto tensors = (ck / "tensors-000001.bin").string();
  // Truncated tensor file (e.g. copied while being written).
  fs::resize_file(tensors, 3000);
  auto err = read_error(dir);
  CATCH_CHECK(contains(err, tensors));
  CATCH_CHECK(contains(err, "3000 bytes, the manifest says 8000 (truncated or torn write)"));

  // Same size, one byte changed.
  write_one(dir, 2, 1.0f);
  const auto tensors2 = (ck / "tensors-000002.bin").string();
  {
    std::fstream f(tensors2, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  err = read_error(dir);
  CATCH_CHECK(contains(err, tensors2 + ": checksum mismatch"));

  // Tensor file gone.
  fs::remove(tensors2);
  CATCH_CHECK(contains(read_error(dir), tensors2 + ": missing"));

  // Manifest cut short.
  write_one(dir, 3, 1.0f);
  fs::resize_file(ck / "manifest.json", 40);
  err = read_error(dir);
  CATCH_CHECK(contains(err, "manifest.json: corrupt manifest"));

  // Another schema.
  write_bytes((ck / "manifest.json").string(),
              R"({"format": "hetsgd-checkpoint", "schema": 99, "tensors": {}})");
  CATCH_CHECK(contains(read_error(dir), "schema: version 99, this build reads version 1"));
  fs::remove_all(dir);
}

CATCH_TEST_CASE("checkpoint state: fault schedule position and what a resumed run still plays",
                "[checkpoint]") {
  std::vector<fault_spec> faults(4);
  auto spec = [](const char* kind, std::int64_t worker, double at_s, double duration_s) {
    fault_spec f;
    f.kind = kind;
    f.worker = worker;
    f.at_s = at_s;
    f.duration_s = duration_s;
    return f;
  };
  faults[0] = spec("slowdown", 0, 1.0, 2.0);  // 1 s .. 3 s
  faults[0].factor = 4.0;
  faults[1] = spec("pause", 1, 2.0, 10.0);  // 2 s .. 12 s
  faults[2] = spec("crash", 2, 4.0, 0.0);
  faults[3] = spec("rejoin", 2, 8.0, 0.0);
  auto pos = fault_position_at(faults, 5.0);
  CATCH_CHECK(pos.started == std::vector<std::size_t>{0, 1, 2});
  CATCH_CHECK(pos.ended == std::vector<std::size_t>{0, 2});
  auto left = remaining_faults(faults, pos, 5.0);
  CATCH_REQUIRE(left.size() == 2);
  // The pause in progress acts again on the new incarnation, for its remaining 7 s.
  CATCH_CHECK(left[0].kind == "pause");
  CATCH_CHECK(left[0].at_s == 5.0);
  CATCH_CHECK(left[0].duration_s == Approx(7.0));
  // The rejoin has not happened: it keeps its time.
  CATCH_CHECK(left[1].kind == "rejoin");
  CATCH_CHECK(left[1].at_s == 8.0);
  // A lasting fault without an end never ends.
  faults[0].duration_s = 0.0;
  pos = fault_position_at(faults, 5.0);
  CATCH_CHECK(pos.ended == std::vector<std::size_t>{2});
}

CATCH_TEST_CASE("checkpoint state: the counters round trip, every incarnation booked",
                "[checkpoint]") {
  run_account a;
  a.rounds = 12;
  a.samples_applied = 700;
  a.time_to_target_s = 3.5;
  a.errors = {"one"};
  a.workers.resize(2);
  a.workers[1].samples_computed = 400;
  a.workers[1].samples_applied = 350;
  a.workers[1].dropped[static_cast<std::size_t>(drop_reason::stale)] = 20;
  a.workers[1].incarnations = 2;
  a.workers[1].crashes = 1;
  a.workers[1].compute_s = 1.25;
  run_account b;
  b.workers.resize(2);
  account_from_json(account_to_json(a), b, "m.json");
  CATCH_CHECK(b.rounds == 12);
  CATCH_CHECK(b.samples_applied == 700);
  CATCH_CHECK(b.time_to_target_s == 3.5);
  CATCH_CHECK(b.errors == a.errors);
  CATCH_CHECK(b.workers[1].samples_computed == 400);
  CATCH_CHECK(b.workers[1].dropped_total() == 20);
  CATCH_CHECK(b.workers[1].incarnations == 2);
  CATCH_CHECK(b.workers[1].booked == 2);
  CATCH_CHECK(b.workers[1].crashes == 1);
  CATCH_CHECK(b.workers[1].compute_s == 1.25);
  run_account three;
  three.workers.resize(3);
  try {
    account_from_json(account_to_json(a), three, "m.json");
    CATCH_FAIL("a checkpoint for 2 workers was accepted for 3");
  } catch (const checkpoint_error& e) {
    CATCH_CHECK(std::string(e.what()) == "m.json: accounting.workers: 2 workers, the run has 3");
  }
}

CATCH_TEST_CASE("checkpoint state: a resume point that does not fit the run is refused by name",
                "[checkpoint]") {
  auto dir = fresh_dir("resume_point");
  std::vector<float> w(10, 0.5f);
  nlohmann::json m = {
    {"config_hash", "00000000000000aa"},
    {"workers", 2},
    {"version", 7},
    {"elapsed_s", 1.5},
    {"rng", {{"resumes", 0}}},
    {"membership", {{"epoch", 3}, {"live", {0, 1}}}},
    {"faults",
     {{"count", 0}, {"started", nlohmann::json::array()}, {"ended", nlohmann::json::array()}}},
    {"policy_state", nlohmann::json::object()},
    {"batch_state", nlohmann::json::object()},
    {"accounting", nlohmann::json::object()}};
  write_checkpoint(dir, m, {{"weights", w.data(), w.size() * sizeof(float)}}, 1);
  auto error_of = [&](const std::string& hash, std::int64_t params, std::int64_t workers) {
    try {
      load_resume_point(dir, hash, params, workers, 0);
    } catch (const checkpoint_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  auto rp = load_resume_point(dir, "00000000000000aa", 10, 2, 0);
  CATCH_CHECK(rp->version == 7);
  CATCH_CHECK(rp->elapsed_s == 1.5);
  CATCH_CHECK(rp->weights.numel() == 10);
  CATCH_CHECK(rp->weights[3].item<float>() == 0.5f);
  CATCH_CHECK(!rp->momentum.defined());
  CATCH_CHECK(contains(error_of("00000000000000bb", 10, 2),
                       "manifest.json: config_hash: the checkpoint was written for another"));
  CATCH_CHECK(contains(error_of("00000000000000aa", 12, 2),
                       "weights has 10 floats, the model has 12 parameters"));
  CATCH_CHECK(contains(error_of("00000000000000aa", 10, 3),
                       "manifest.json: workers: 2, the config has cluster.workers = 3"));
  fs::remove_all(dir);
}
