#include "actors/checkpoint_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace hetsgd {

namespace fs = std::filesystem;

namespace {

constexpr const char* manifest_name = "manifest.json";
constexpr const char* format_name = "hetsgd-checkpoint";

[[noreturn]] void fail_errno(const std::string& what, const std::string& path) {
  throw checkpoint_error(path + ": " + what + ": " + std::strerror(errno));
}

/// Writes `parts` to `path` (created or truncated) and fsyncs it: on return the bytes are on disk.
void write_synced(const std::string& path, const std::vector<checkpoint_blob_view>& parts) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    fail_errno("cannot create", path);
  for (auto& part : parts) {
    auto p = static_cast<const char*>(part.data);
    std::size_t left = part.bytes;
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        int e = errno;
        ::close(fd);
        errno = e;
        fail_errno("write failed", path);
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    fail_errno("fsync failed", path);
  }
  if (::close(fd) != 0)
    fail_errno("close failed", path);
}

void rename_into_place(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    fail_errno("cannot rename " + from + " to", to);
}

/// Makes the renames in `dir` durable.
void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    fail_errno("cannot open directory", dir);
  ::fsync(fd);  // best effort: some file systems refuse fsync on directories
  ::close(fd);
}

std::string tensor_file_name(std::uint64_t sequence) {
  std::ostringstream os;
  os << "tensors-" << std::setw(6) << std::setfill('0') << sequence << ".bin";
  return os.str();
}

}  // namespace

std::uint64_t fnv1a64(const void* data, std::size_t bytes, std::uint64_t h) {
  auto p = static_cast<const std::uint8_t*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex64(std::uint64_t x) {
  std::ostringstream os;
  os << std::hex << std::setw(16) << std::setfill('0') << x;
  return os.str();
}

std::string checkpoint_dir(const std::string& run_dir) {
  return (fs::path(run_dir) / "checkpoint").string();
}

std::string write_checkpoint(const std::string& run_dir, nlohmann::json manifest,
                             const std::vector<checkpoint_blob_view>& blobs,
                             std::uint64_t sequence) {
  const std::string dir = checkpoint_dir(run_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw checkpoint_error(dir + ": cannot create: " + ec.message());
  const std::string tensor_name = tensor_file_name(sequence);
  const std::string tensor_path = dir + "/" + tensor_name;
  const std::string manifest_path = dir + "/" + manifest_name;
  {
    nlohmann::json current;
    std::ifstream f(manifest_path);
    if (f && (f >> current, true) &&
        current.value("tensors", nlohmann::json::object()).value("file", "") == tensor_name)
      throw checkpoint_error(tensor_path + ": is the current checkpoint's; sequence " +
                             std::to_string(sequence) + " was already written");
  }

  std::uint64_t h = 0xcbf29ce484222325ULL;
  std::uint64_t offset = 0;
  nlohmann::json index = nlohmann::json::array();
  for (auto& b : blobs) {
    h = fnv1a64(b.data, b.bytes, h);
    index.push_back({{"name", b.name}, {"offset", offset}, {"bytes", b.bytes}});
    offset += b.bytes;
  }
  write_synced(tensor_path + ".tmp", blobs);
  rename_into_place(tensor_path + ".tmp", tensor_path);

  manifest["format"] = format_name;
  manifest["schema"] = checkpoint_schema;
  manifest["sequence"] = sequence;
  manifest["tensors"] = {
    {"file", tensor_name}, {"bytes", offset}, {"fnv1a64", hex64(h)}, {"blobs", index}};
  const std::string text = manifest.dump(2) + "\n";
  write_synced(manifest_path + ".tmp", {{"manifest", text.data(), text.size()}});
  rename_into_place(manifest_path + ".tmp", manifest_path);
  sync_dir(dir);

  // Only now is the new checkpoint current: the older tensor files and leftovers can go.
  for (auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    const bool old_tensors = name.rfind("tensors-", 0) == 0 && name != tensor_name;
    const bool leftover = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
    if (old_tensors || leftover)
      fs::remove(entry.path(), ec);
  }
  return tensor_name;
}

loaded_checkpoint read_checkpoint(const std::string& run_dir) {
  loaded_checkpoint out;
  const std::string dir = checkpoint_dir(run_dir);
  out.manifest_path = dir + "/" + manifest_name;
  std::ifstream mf(out.manifest_path);
  if (!mf)
    throw checkpoint_error(out.manifest_path +
                           ": no checkpoint (the run needs checkpoint.every_s or "
                           "checkpoint.every_rounds, and at least one round)");
  try {
    mf >> out.manifest;
  } catch (const nlohmann::json::exception& e) {
    throw checkpoint_error(out.manifest_path + ": corrupt manifest: " + e.what());
  }
  const auto& m = out.manifest;
  auto where = [&](const std::string& key) { return out.manifest_path + ": " + key + ": "; };
  try {
    if (!m.is_object() || m.value("format", "") != format_name)
      throw checkpoint_error(out.manifest_path + ": not a hetsgd checkpoint manifest");
    if (m.at("schema").get<int>() != checkpoint_schema)
      throw checkpoint_error(where("schema") + "version " + m.at("schema").dump() +
                             ", this build reads version " + std::to_string(checkpoint_schema));
    const auto& t = m.at("tensors");
    const std::string file = t.at("file").get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos)
      throw checkpoint_error(where("tensors.file") + "bad file name \"" + file + "\"");
    out.tensor_path = dir + "/" + file;
    const auto bytes = t.at("bytes").get<std::uint64_t>();
    std::ifstream tf(out.tensor_path, std::ios::binary);
    if (!tf)
      throw checkpoint_error(out.tensor_path + ": missing (named by " + out.manifest_path + ")");
    std::vector<std::uint8_t> all((std::istreambuf_iterator<char>(tf)),
                                  std::istreambuf_iterator<char>());
    if (all.size() != bytes)
      throw checkpoint_error(out.tensor_path + ": " + std::to_string(all.size()) +
                             " bytes, the manifest says " + std::to_string(bytes) +
                             " (truncated or torn write)");
    if (hex64(fnv1a64(all.data(), all.size())) != t.at("fnv1a64").get<std::string>())
      throw checkpoint_error(out.tensor_path + ": checksum mismatch (the file is corrupt)");
    for (auto& b : t.at("blobs")) {
      const auto off = b.at("offset").get<std::uint64_t>();
      const auto n = b.at("bytes").get<std::uint64_t>();
      if (off > all.size() || n > all.size() - off)
        throw checkpoint_error(where("tensors.blobs") + "blob \"" +
                               b.at("name").get<std::string>() + "\" lies outside the tensor file");
      out.blobs[b.at("name").get<std::string>()] =
        std::vector<std::uint8_t>(all.begin() + static_cast<std::ptrdiff_t>(off),
                                  all.begin() + static_cast<std::ptrdiff_t>(off + n));
    }
  } catch (const nlohmann::json::exception& e) {
    throw checkpoint_error(out.manifest_path + ": corrupt manifest: " + e.what());
  }
  return out;
}

}  // namespace hetsgd
