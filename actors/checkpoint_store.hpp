#pragma once
/// The checkpoint file format, atomic on disk. A checkpoint is RUN_DIR/checkpoint/ with
/// - `tensors-<sequence>.bin`: raw bytes of named blobs (the flat weights, the optimizer's
///   momentum buffer), back to back, no per-element encoding;
/// - `manifest.json`: the caller's JSON plus `format`, `schema`, `sequence` and a `tensors`
///   section naming the tensor file, its size, its FNV-1a 64 checksum and each blob's offset.
/// A write goes to `*.tmp` files in the same directory, each fsynced and renamed into place, the
/// tensor file first and the manifest last, then the directory is fsynced. The manifest is what
/// makes a checkpoint current, and rename is atomic: a crash at any point leaves either the old
/// manifest (which names the old, untouched tensor file) or the new one, never a mix. Leftover
/// temporary files and tensor files no manifest names are ignored on read and removed by the next
/// successful write. A read checks the tensor file's size and checksum against the manifest, so
/// a truncated or altered file is an error that names it, never silently loaded.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hetsgd {

/// A checkpoint that cannot be written or read; what() names the file and what is wrong.
struct checkpoint_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr int checkpoint_schema = 1;

/// A blob to write: `bytes` bytes at `data` (read only during the call).
struct checkpoint_blob_view {
  std::string name;
  const void* data = nullptr;
  std::size_t bytes = 0;
};

struct loaded_checkpoint {
  nlohmann::json manifest;
  std::map<std::string, std::vector<std::uint8_t>> blobs;  ///< by name
  std::string manifest_path;
  std::string tensor_path;
};

/// RUN_DIR/checkpoint
std::string checkpoint_dir(const std::string& run_dir);

/// Writes checkpoint number `sequence` (increasing over a run, across resumes: it names the
/// tensor file, which must differ from the current one). Returns the tensor file's name.
/// Throws checkpoint_error; the previous checkpoint is then still the current one.
std::string write_checkpoint(const std::string& run_dir, nlohmann::json manifest,
                             const std::vector<checkpoint_blob_view>& blobs,
                             std::uint64_t sequence);

/// Reads and verifies the current checkpoint of RUN_DIR. Throws checkpoint_error naming the
/// file: none there, a manifest that does not parse or is not this schema, a tensor file that
/// is missing, of the wrong size or with the wrong checksum.
loaded_checkpoint read_checkpoint(const std::string& run_dir);

/// FNV-1a, 64 bit, continuing from `h` (checksums of the tensor file and of config.toml).
std::uint64_t fnv1a64(const void* data, std::size_t bytes, std::uint64_t h = 0xcbf29ce484222325ULL);
/// 16 lower-case hex digits.
std::string hex64(std::uint64_t x);

}  // namespace hetsgd
