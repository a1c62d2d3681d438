#pragma once
// Static files served over HTTP: the dashboard (web/) and the SignalR browser client, embedded
// in the binary at build time (cmake/embed_files.cmake), with an optional on-disk web root that
// overrides them during development.
//
// Threading: fill the registry during set-up; find() from any thread concurrently.
// Embedded bytes have static storage duration; the registry only points at them.

#include <cstddef>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::http {

struct StaticFile {
  std::string_view content_type;
  std::string_view bytes;  ///< static storage (embedded) or owned by the registry's caller
};

class StaticFiles {
 public:
  /// Maps `url_path` (e.g. "/app.js") to `bytes`, which must outlive the registry. A second
  /// add() for the same path replaces the first. Throws std::invalid_argument unless the path
  /// starts with '/'.
  void add(std::string url_path, std::string_view content_type, std::string_view bytes);

  /// The file at `url_path` ("/" means "/index.html"), or nullptr.
  const StaticFile* find(std::string_view url_path) const;

  std::vector<std::string> paths() const;
  std::size_t size() const noexcept { return files_.size(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;
};

/// The MIME type for a path's extension (".html" -> "text/html; charset=utf-8"); unknown
/// extensions get "application/octet-stream".
std::string_view content_type_for(std::string_view path) noexcept;

/// Whether a segment of `url_path` (percent-decoded) starts with '.': `/.git/config`,
/// `/.env`, `/a/.cache/b`, `/..`. Such paths are never served, embedded or from a web root
/// (dotfiles hold repositories, secrets and editor state).
bool has_dot_segment(std::string_view url_path) noexcept;

/// Reads `url_path` ("/" means "/index.html", already percent-decoded) below `root`. Returns
/// nullopt when it does not exist, is not a regular file, has a dot segment (also after
/// symlinks are resolved), or would leave `root` ("..", backslashes, NUL, a symlink out).
/// Blocking file I/O: meant for the development override only.
std::optional<std::string> read_under_root(const std::filesystem::path& root,
                                           std::string_view url_path);

/// Checks a `--web-root` at start-up: it must exist and be a directory, and must not be `/`
/// nor a system directory (/etc, /proc, /sys, /dev, /run, /boot, /root and anything below
/// them; /usr, /var, /bin, /sbin, /lib*, /home, /opt, /srv, /tmp themselves), compared after
/// symlinks are resolved. Returns the canonical directory, or the reason (one line, no path:
/// the caller names the option and path). Blocking; never throws except std::bad_alloc.
std::expected<std::filesystem::path, std::string> check_web_root(const std::filesystem::path& root);

/// Every file embedded at build time: web/ at "/<relative path>" and the SignalR browser client
/// at "/lib/signalr.min.js". Defined in the generated embedded_web_files.cpp.
StaticFiles embedded_static_files();

}  // namespace scanhub::http
