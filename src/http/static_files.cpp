#include "http/static_files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace scanhub::http {

namespace {
std::string_view normalize(std::string_view url_path) noexcept {
  return url_path == "/" || url_path.empty() ? std::string_view("/index.html") : url_path;
}
}  // namespace

void StaticFiles::add(std::string url_path, std::string_view content_type,
                      std::string_view bytes) {
  if (url_path.empty() || url_path.front() != '/') {
    throw std::invalid_argument("static file path must start with '/': " + url_path);
  }
  files_.insert_or_assign(std::move(url_path), StaticFile{content_type, bytes});
}

const StaticFile* StaticFiles::find(std::string_view url_path) const {
  auto found = files_.find(normalize(url_path));
  return found == files_.end() ? nullptr : &found->second;
}

std::vector<std::string> StaticFiles::paths() const {
  std::vector<std::string> out;
  out.reserve(files_.size());
  for (const auto& [path, file] : files_) out.push_back(path);
  return out;
}

std::string_view content_type_for(std::string_view path) noexcept {
  struct Entry {
    std::string_view extension, type;
  };
  static constexpr Entry kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".wasm", "application/wasm"},
  };
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const std::string_view extension = path.substr(dot);
  for (const Entry& entry : kTypes) {
    if (entry.extension.size() != extension.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < extension.size() && same; ++i) {
      const char c = extension[i];
      same = (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == entry.extension[i];
    }
    if (same) return entry.type;
  }
  return "application/octet-stream";
}

bool has_dot_segment(std::string_view url_path) noexcept {
  for (std::size_t at = 0; at < url_path.size(); ++at) {
    if (url_path[at] == '.' && (at == 0 || url_path[at - 1] == '/')) return true;
  }
  return false;
}

std::optional<std::string> read_under_root(const std::filesystem::path& root,
                                           std::string_view url_path) {
  url_path = normalize(url_path);
  if (root.empty() || url_path.front() != '/' || has_dot_segment(url_path)) return std::nullopt;
  if (url_path.find('\0') != std::string_view::npos ||
      url_path.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  std::filesystem::path relative(url_path.substr(1));
  for (const auto& part : relative) {
    if (part == ".." || part == ".") return std::nullopt;
  }
  std::error_code ec;
  const auto file = root / relative;
  if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  // Symlinks must not lead outside the root either.
  const auto canonical_root = std::filesystem::weakly_canonical(root, ec);
  const auto canonical_file = std::filesystem::weakly_canonical(file, ec);
  if (ec) return std::nullopt;
  auto [root_end, file_it] = std::mismatch(canonical_root.begin(), canonical_root.end(),
                                           canonical_file.begin(), canonical_file.end());
  if (root_end != canonical_root.end()) return std::nullopt;
  // A symlink with a plain name must not lead to a dotfile inside the root either.
  for (; file_it != canonical_file.end(); ++file_it) {
    if (file_it->native().starts_with('.')) return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::expected<std::filesystem::path, std::string> check_web_root(
    const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  // Nothing below these may be served: configuration and secrets, kernel and device views
  // (/proc/N/root is the whole disk again), the superuser's home.
  static constexpr std::string_view kSystemTrees[] = {"/etc", "/proc", "/sys", "/dev",
                                                      "/run", "/boot", "/root"};
  // These themselves hold everything else; a folder below one (/var/www, /usr/share/...)
  // is a normal web root.
  static constexpr std::string_view kSystemDirectories[] = {
      "/",       "/usr",  "/var", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
      "/libx32", "/home", "/opt", "/srv", "/tmp",  "/mnt", "/media"};
  std::error_code ec;
  const auto status = fs::status(root, ec);
  if (ec || !fs::exists(status)) return std::unexpected(std::string("no such directory"));
  if (!fs::is_directory(status)) return std::unexpected(std::string("not a directory"));
  const fs::path canonical = fs::canonical(root, ec);
  if (ec) return std::unexpected("cannot resolve it: " + ec.message());
  const std::string& text = canonical.native();
  for (std::string_view tree : kSystemTrees) {
    if (text == tree || (text.starts_with(tree) && text[tree.size()] == '/')) {
      return std::unexpected("refusing to serve the system directory " + std::string(tree) +
                             (text == tree ? std::string() : " (it resolves to " + text + ")"));
    }
  }
  for (std::string_view directory : kSystemDirectories) {
    if (text == directory) {
      return std::unexpected("refusing to serve " + text + ": give the folder of the web files");
    }
  }
  return canonical;
}

}  // namespace scanhub::http
