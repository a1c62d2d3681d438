#include "movie_writer.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "nfo.hpp"
#include "parallel.hpp"
#include "templates.hpp"

namespace scanhub::make_library {
namespace {

namespace fs = std::filesystem;

void append_be32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

std::uint32_t crc32(std::string_view bytes) {
  // PNG's CRC (ISO 3309, polynomial 0xEDB88320), bit by bit: a few hundred bytes per file.
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char c : bytes) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string jpeg_with_comment(const std::string& jpeg, std::string_view comment) {
  if (jpeg.size() < 2 || jpeg[0] != '\xFF' || jpeg[1] != '\xD8') {
    throw std::runtime_error("image template is not a JPEG");
  }
  std::string out = jpeg.substr(0, 2);
  out += "\xFF\xFE";  // COM segment; its length counts itself, not the marker
  const std::size_t length = comment.size() + 2;
  out.push_back(static_cast<char>(length >> 8));
  out.push_back(static_cast<char>(length & 0xFF));
  out += comment;
  out += jpeg.substr(2);
  return out;
}

std::string png_with_text(const std::string& png, std::string_view text) {
  constexpr std::size_t kAfterIhdr = 8 + 4 + 4 + 13 + 4;  // signature, IHDR length/type/data/CRC
  if (png.size() < kAfterIhdr || png.compare(12, 4, "IHDR") != 0) {
    throw std::runtime_error("image template is not a PNG");
  }
  const std::string data = "Comment" + std::string(1, '\0') + std::string(text);
  std::string chunk;
  append_be32(chunk, static_cast<std::uint32_t>(data.size()));
  const std::string typed = "tEXt" + data;
  chunk += typed;
  append_be32(chunk, crc32(typed));
  return png.substr(0, kAfterIhdr) + chunk + png.substr(kAfterIhdr);
}

std::string mp4_with_free_box(const std::string& mp4, std::string_view text) {
  std::string out = mp4;
  append_be32(out, static_cast<std::uint32_t>(8 + text.size()));
  out += "free";
  out += text;
  return out;
}

ImageKind image_kind(AssetKind kind) {
  switch (kind) {
    case AssetKind::kPoster:
      return ImageKind::kPoster;
    case AssetKind::kLandscape:
      return ImageKind::kLandscape;
    case AssetKind::kClearlogo:
      return ImageKind::kClearlogo;
    default:
      return ImageKind::kFanart;
  }
}

std::vector<WrittenAsset> write_movie(const fs::path& root, const MoviePlan& movie,
                                      const MovieTemplateSet& templates) {
  const fs::path dir = root / movie.directory;
  fs::create_directory(dir);
  fs::copy_file(templates.video(movie.video_template).path, root / movie.video);
  if (movie.nfo) write_file_or_throw(root / *movie.nfo, render_nfo(movie));
  std::vector<WrittenAsset> written;
  written.reserve(movie.assets.size());
  for (const AssetPlan& asset : movie.assets) {
    const fs::path path = root / asset.path;
    if (asset.kind == AssetKind::kExtrafanart) fs::create_directories(path.parent_path());
    const std::string bytes = asset_bytes(asset, templates);
    write_file_or_throw(path, bytes);
    written.push_back({bytes.size(), sha256_hex(bytes)});
  }
  return written;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");
  }
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 0xF]);
  }
  return hex;
}

std::string asset_bytes(const AssetPlan& asset, const MovieTemplateSet& templates) {
  switch (asset.kind) {
    case AssetKind::kSubtitle:
      return asset.text;
    case AssetKind::kTrailer: {
      const std::string& mp4 = templates.trailer(asset.template_index);
      return asset.marker ? mp4_with_free_box(mp4, *asset.marker) : mp4;
    }
    default: {
      const ImageKind kind = image_kind(asset.kind);
      const std::string& image = templates.image(kind, asset.template_index);
      if (!asset.marker) return image;
      return kind == ImageKind::kClearlogo ? png_with_text(image, *asset.marker)
                                           : jpeg_with_comment(image, *asset.marker);
    }
  }
}

WrittenAssets write_movie_library(const fs::path& root, const MovieLibraryPlan& plan,
                                  const MovieTemplateSet& templates, unsigned threads) {
  WrittenAssets written(plan.movies.size());
  parallel_for(plan.movies.size(), threads, [&](std::size_t i) {
    try {
      written[i] = write_movie(root, plan.movies[i], templates);
    } catch (const std::exception&) {
      std::throw_with_nested(std::runtime_error("writing " + plan.movies[i].directory));
    }
  });
  return written;
}

void write_bad_movie_directories(const fs::path& root, const MovieLibraryPlan& plan,
                                 const MovieTemplateSet& templates) {
  for (const BadDirectoryPlan& bad : plan.bad_directories) {
    const fs::path dir = root / bad.directory;
    fs::create_directory(dir);
    if (bad.kind == "not-video") {
      write_file_or_throw(root / bad.error_path,
                          "This is not a video. It is a text file with a video's name.\n");
    } else if (bad.kind == "zero-byte") {
      write_file_or_throw(root / bad.error_path, "");
    } else if (bad.kind == "no-video") {
      MoviePlan orphan;
      orphan.nfo_style = NfoStyle::kValid;
      orphan.title = "No Video Here";
      orphan.year = 2007;
      write_file_or_throw(dir / "movie.nfo", render_nfo(orphan));
      // Bytes of its own: a scanner that wrongly caches this poster shows up in the cache's
      // hash count instead of hiding behind a duplicate.
      write_file_or_throw(dir / "poster.jpg",
                          jpeg_with_comment(templates.image(ImageKind::kPoster, 1),
                                            "scanhub make-library: a poster without a movie"));
    } else {
      throw std::runtime_error("unknown bad directory kind " + bad.kind);
    }
  }
}

}  // namespace scanhub::make_library
