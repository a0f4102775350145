// Tests of the data plane: Fashion-MNIST loading, image_dataset, shard_sampler.
// Torch (via the gpu headers) comes before Catch: see TOOLCHAIN.md on glog's CHECK.
#include "gpu/fashion_mnist.hpp"
#include "gpu/shard_sampler.hpp"

#include <ATen/ATen.h>
#include <zlib.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

using namespace hetsgd;

namespace {

const fashion_mnist& data() {
  static const auto loaded = shared_fashion_mnist();
  return *loaded;
}

/// Reads `n` raw bytes at `offset` of the decompressed gzip file.
std::vector<unsigned char> raw_bytes(const std::string& path, size_t offset, size_t n) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr)
    return {};
  std::vector<unsigned char> skip(offset);
  std::vector<unsigned char> out(n);
  const bool ok =
    gzread(f, skip.data(), static_cast<unsigned>(offset)) == static_cast<int>(offset) &&
    gzread(f, out.data(), static_cast<unsigned>(n)) == static_cast<int>(n);
  gzclose(f);
  return ok ? out : std::vector<unsigned char>{};
}

/// A fresh directory under TMPDIR (or /tmp).
std::string temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/hetsgd-gpu-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const char* dir = mkdtemp(buf.data());
  return dir != nullptr ? std::string(dir) : std::string();
}

void write_gz(const std::string& path, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (f != nullptr) {
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  }
}

std::vector<unsigned char> be32(uint32_t v) {
  return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
          static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
}

std::vector<unsigned char> cat(std::initializer_list<std::vector<unsigned char>> parts) {
  std::vector<unsigned char> out;
  for (const auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string load_error(const std::string& dir) {
  try {
    load_fashion_mnist(dir);
  } catch (const data_error& e) {
    return e.what();
  }
  return "(no data_error thrown)";
}

}  // namespace

CATCH_TEST_CASE("load_fashion_mnist reads both splits with the right shapes", "[data]") {
  const auto& d = data();
  CATCH_REQUIRE(d.train.size() == 60000);
  CATCH_REQUIRE(d.test.size() == 10000);
  CATCH_CHECK(d.train.images.sizes() == at::IntArrayRef({60000, 1, 28, 28}));
  CATCH_CHECK(d.test.images.sizes() == at::IntArrayRef({10000, 1, 28, 28}));
  CATCH_CHECK(d.train.images.scalar_type() == at::kFloat);
  CATCH_CHECK(d.train.labels.scalar_type() == at::kLong);
  CATCH_CHECK(d.train.images.is_contiguous());
  for (const auto* split : {&d.train, &d.test}) {
    CATCH_CHECK(split->labels.min().item<int64_t>() == 0);
    CATCH_CHECK(split->labels.max().item<int64_t>() == 9);
    // Fashion-MNIST is balanced: every class has 6,000 training / 1,000 test images.
    const auto counts = at::bincount(split->labels);
    CATCH_CHECK(counts.min().item<int64_t>() == split->size() / 10);
    CATCH_CHECK(counts.max().item<int64_t>() == split->size() / 10);
  }
  // Normalized with the training set's own mean and std: about 0 and 1.
  CATCH_CHECK(std::abs(d.train.images.mean().item<double>()) < 0.01);
  CATCH_CHECK(std::abs(d.train.images.std().item<double>() - 1.0) < 0.01);
}

CATCH_TEST_CASE("load_fashion_mnist matches the raw file contents", "[data]") {
  const auto& d = data();
  const std::string dir = default_fashion_mnist_dir;
  // The well-known first training label: 9 (ankle boot); the first test label is 9 as well.
  const auto first_labels = raw_bytes(dir + "/train-labels-idx1-ubyte.gz", 8, 3);
  CATCH_REQUIRE(first_labels.size() == 3);
  CATCH_CHECK(first_labels[0] == 9);
  for (int i = 0; i < 3; ++i)
    CATCH_CHECK(d.train.labels[i].item<int64_t>() == first_labels[i]);
  // Pixels of the first image: (byte / 255 - mean) / std.
  const auto pixels = raw_bytes(dir + "/train-images-idx3-ubyte.gz", 16, 784);
  CATCH_REQUIRE(pixels.size() == 784);
  const auto image = d.train.images[0].reshape({784});
  double worst = 0;
  for (int i = 0; i < 784; ++i) {
    const double expected = (pixels[i] / 255.0 - fashion_mnist_mean) / fashion_mnist_std;
    worst = std::max(worst, std::abs(image[i].item<double>() - expected));
  }
  CATCH_CHECK(worst < 1e-5);
}

CATCH_TEST_CASE("shared_fashion_mnist loads once and shares the tensors", "[data]") {
  const auto a = shared_fashion_mnist();
  const auto b = shared_fashion_mnist();
  CATCH_CHECK(a.get() == b.get());
  CATCH_CHECK(a->train.images.data_ptr() == data().train.images.data_ptr());
}

CATCH_TEST_CASE("a missing Fashion-MNIST names the file and the Debian package", "[data]") {
  const std::string msg = load_error("/nonexistent/hetsgd/fashion");
  CATCH_CHECK_THAT(msg,
                   Catch::Matchers::Contains("Fashion-MNIST not found: /nonexistent/hetsgd/fashion/"
                                             "train-images-idx3-ubyte.gz does not exist"));
  CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("apt-get install dataset-fashion-mnist"));
}

CATCH_TEST_CASE("corrupt IDX files are reported with the file and the expectation", "[data]") {
  const std::string dir = temp_dir();
  CATCH_REQUIRE(!dir.empty());
  const std::string images = dir + "/train-images-idx3-ubyte.gz";
  const std::string labels = dir + "/train-labels-idx1-ubyte.gz";
  write_gz(labels, cat({be32(2049), be32(60000)}));

  write_gz(images, cat({be32(1234), be32(60000), be32(28), be32(28)}));
  std::string msg = load_error(dir);
  CATCH_CHECK_THAT(msg, Catch::Matchers::Contains(images));
  CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("magic number 1234, expected 2051"));

  write_gz(images, cat({be32(2051), be32(500), be32(28), be32(28)}));
  msg = load_error(dir);
  CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("500 images, expected 60000"));

  write_gz(images, cat({be32(2051), be32(60000), be32(32), be32(32)}));
  msg = load_error(dir);
  CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("32x32, expected 28x28"));

  write_gz(images,
           cat({be32(2051), be32(60000), be32(28), be32(28), std::vector<unsigned char>(100)}));
  msg = load_error(dir);
  CATCH_CHECK_THAT(msg, Catch::Matchers::Contains("truncated"));
  CATCH_CHECK_THAT(msg, Catch::Matchers::Contains(images));

  std::remove(images.c_str());
  std::remove(labels.c_str());
  ::rmdir(dir.c_str());
}

CATCH_TEST_CASE("image_dataset::slice shares storage and checks bounds", "[data]") {
  const auto& train = data().train;
  const auto part = train.slice(100, 150);
  CATCH_CHECK(part.size() == 50);
  CATCH_CHECK(part.images.data_ptr<float>() == train.images[100].data_ptr<float>());
  CATCH_CHECK(part.labels[0].item<int64_t>() == train.labels[100].item<int64_t>());
  CATCH_CHECK_THROWS_AS(train.slice(10, 5), std::out_of_range);
  CATCH_CHECK_THROWS_AS(train.slice(0, 60001), std::out_of_range);
  CATCH_CHECK(image_dataset{}.size() == 0);
}

namespace {
std::vector<int64_t> to_vector(const at::Tensor& t) {
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}
}  // namespace

CATCH_TEST_CASE("shard_sampler shards are disjoint, near-equal and cover the data set",
                "[sampler]") {
  const int64_t n = 1003;
  const int workers = 4;
  std::vector<int64_t> all;
  std::vector<int64_t> sizes;
  for (int w = 0; w < workers; ++w) {
    shard_sampler s(n, w, workers, 42);
    sizes.push_back(s.shard_size());
    const auto idx = to_vector(s.next(s.shard_size()));
    CATCH_CHECK(std::set<int64_t>(idx.begin(), idx.end()).size() == idx.size());
    all.insert(all.end(), idx.begin(), idx.end());
  }
  CATCH_CHECK(*std::max_element(sizes.begin(), sizes.end()) -
                *std::min_element(sizes.begin(), sizes.end()) <=
              1);
  std::sort(all.begin(), all.end());
  CATCH_REQUIRE(all.size() == static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    CATCH_REQUIRE(all[static_cast<size_t>(i)] == i);

  // The shard is a slice of a shuffled data set, not a block of consecutive indices.
  shard_sampler first(n, 0, workers, 42);
  auto idx = to_vector(first.next(first.shard_size()));
  CATCH_CHECK(*std::max_element(idx.begin(), idx.end()) > n / 2);
}

CATCH_TEST_CASE("shard_sampler is deterministic and depends on seed and worker", "[sampler]") {
  shard_sampler a(5000, 1, 3, 7), b(5000, 1, 3, 7), c(5000, 1, 3, 8), d(5000, 2, 3, 7);
  std::vector<int64_t> sa, sb, sc, sd;
  for (int i = 0; i < 40; ++i) {  // spans several epochs (shard of 1,666 or 1,667)
    for (auto [s, v] : {std::pair<shard_sampler*, std::vector<int64_t>*>{&a, &sa},
                        {&b, &sb},
                        {&c, &sc},
                        {&d, &sd}}) {
      const auto part = to_vector(s->next(128));
      v->insert(v->end(), part.begin(), part.end());
    }
  }
  CATCH_CHECK(sa == sb);
  CATCH_CHECK(sa != sc);
  CATCH_CHECK(sa != sd);
  CATCH_CHECK(a.epoch() == b.epoch());
  CATCH_CHECK(a.epoch() == 40 * 128 / 1667);
  CATCH_CHECK(a.samples_drawn() == 40 * 128);
  CATCH_CHECK(a.next(0).numel() == 0);
  CATCH_CHECK_THROWS_AS(a.next(-1), std::invalid_argument);
}

CATCH_TEST_CASE("shard_sampler wraps into a reshuffled epoch, also within one batch", "[sampler]") {
  shard_sampler s(100, 0, 2, 3);  // shard of 50
  CATCH_REQUIRE(s.shard_size() == 50);
  CATCH_CHECK(s.epoch() == 0);
  const auto e0a = to_vector(s.next(30));
  CATCH_CHECK(s.epoch() == 0);
  CATCH_CHECK(s.position() == 30);
  const auto span = to_vector(s.next(40));  // 20 from epoch 0, 20 from epoch 1
  CATCH_CHECK(s.epoch() == 1);
  CATCH_CHECK(s.position() == 20);
  const auto e1b = to_vector(s.next(30));
  CATCH_CHECK(s.epoch() == 2);  // epoch 1 exhausted exactly: the next sample starts epoch 2
  CATCH_CHECK(s.position() == 0);

  std::vector<int64_t> epoch0(e0a);
  epoch0.insert(epoch0.end(), span.begin(), span.begin() + 20);
  std::vector<int64_t> epoch1(span.begin() + 20, span.end());
  epoch1.insert(epoch1.end(), e1b.begin(), e1b.end());
  CATCH_CHECK(epoch0 != epoch1);  // a new order...
  std::sort(epoch0.begin(), epoch0.end());
  std::sort(epoch1.begin(), epoch1.end());
  CATCH_CHECK(epoch0 == epoch1);  // ...of the same shard
  CATCH_CHECK(std::set<int64_t>(epoch0.begin(), epoch0.end()).size() == 50);
}

CATCH_TEST_CASE("shard_sampler::set_share re-partitions to a slice of the permutation",
                "[sampler]") {
  const auto perm = global_permutation(1000, 11);
  CATCH_REQUIRE(perm->size() == 1000);
  CATCH_CHECK(global_permutation(1000, 11).get() == perm.get());  // shared while alive

  shard_sampler s(1000, 0, 4, 11);
  CATCH_CHECK(s.share_begin() == 0);
  CATCH_CHECK(s.share_end() == 250);
  s.next(10);
  s.set_share(100, 400);
  CATCH_CHECK(s.epoch() == 1);  // the started pass counts as an epoch
  CATCH_CHECK(s.shard_size() == 300);
  auto got = to_vector(s.next(300));
  std::vector<int64_t> expected(perm->begin() + 100, perm->begin() + 400);
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  CATCH_CHECK(got == expected);
  CATCH_CHECK(s.epoch() == 2);

  s.set_share(5, 5);            // an empty share: nothing to draw
  CATCH_CHECK(s.epoch() == 2);  // no sample was drawn from the replaced pass
  CATCH_CHECK_THROWS_AS(s.next(1), std::logic_error);
  CATCH_CHECK_THROWS_AS(s.set_share(-1, 5), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(s.set_share(10, 1001), std::invalid_argument);

  // Same calls, same sequence.
  shard_sampler t1(1000, 2, 4, 11), t2(1000, 2, 4, 11);
  t1.set_share(0, 700);
  t2.set_share(0, 700);
  CATCH_CHECK(to_vector(t1.next(900)) == to_vector(t2.next(900)));
}

CATCH_TEST_CASE("shard_sampler rejects bad arguments", "[sampler]") {
  CATCH_CHECK_THROWS_AS(shard_sampler(0, 0, 1, 1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(shard_sampler(10, 2, 2, 1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(shard_sampler(10, -1, 2, 1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(shard_sampler(10, 0, 0, 1), std::invalid_argument);
  shard_sampler tiny(2, 2, 3, 1);  // more workers than samples: worker 2 gets [1, 2)
  CATCH_CHECK(tiny.shard_size() == 1);
  shard_sampler empty(2, 0, 3, 1);
  CATCH_CHECK(empty.shard_size() == 0);
  CATCH_CHECK_THROWS_AS(empty.next(1), std::logic_error);
}
