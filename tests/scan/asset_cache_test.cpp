// SHA-256 hashing (lib/crypto) and the content-addressed asset cache (scan/asset_cache), on real
// files in temporary directories. Issue 4, cache-asset job; seed 002 "Phase 3: Asset Caching".
#include "scan/asset_cache.hpp"
#include "lib/crypto/file_digest.hpp"
#include "lib/crypto/sha256.hpp"
#include "support/temp_dir.hpp"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

using namespace scanhub;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Deterministic, not periodic at any power of two, so a wrong chunk boundary changes the hash.
std::string pattern(std::size_t size, unsigned seed = 1) {
  std::string out(size, '\0');
  std::uint32_t state = seed * 2654435761u + 1;
  for (auto& c : out) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return out;
}

// What a user would compare against: coreutils' sha256sum on the same file.
std::string sha256sum_of(const fs::path& path) {
  const std::string command = "sha256sum '" + path.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {};
  std::array<char, 65> hex{};
  const std::size_t n = std::fread(hex.data(), 1, 64, pipe);
  ::pclose(pipe);
  return std::string(hex.data(), n);
}

std::string hex_of_file(const fs::path& path,
                        std::size_t buffer_size = crypto::kDefaultReadBufferSize) {
  auto digest = crypto::hash_file(path, {.buffer_size = buffer_size});
  if (!digest) return "error: " + digest.error().message;
  return crypto::to_hex(digest->sha256);
}

// Every regular file under `root`, relative to it: the cache must hold final names only.
std::vector<std::string> files_under(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_directory()) files.push_back(entry.path().lexically_relative(root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Tests run as root in CI containers, where file modes do not stop reads. Capabilities are per
// thread on Linux: dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this thread's
// effective set makes mode 000 deny it as it denies any user; restored at scope exit.
class WithoutFileOverride {
 public:
  WithoutFileOverride() {
    if (::syscall(SYS_capget, &header_, saved_.data()) != 0) return;
    auto dropped = saved_;
    dropped[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    active_ = ::syscall(SYS_capset, &header_, dropped.data()) == 0;
  }
  ~WithoutFileOverride() {
    if (active_) ::syscall(SYS_capset, &header_, saved_.data());
  }
  /// False when running as root and the capabilities could not be dropped: the test then
  /// cannot see a permission error and says so instead of passing or failing for a wrong reason.
  bool effective() const { return active_ || ::geteuid() != 0; }

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, 2> saved_{};
  bool active_ = false;
};

// Makes every write past `bytes` fail with EFBIG in this process (a real write error mid-copy,
// as a full disk would give); SIGXFSZ is ignored so the error comes back from write().
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_);
  }

 private:
  rlimit saved_{};
  void (*previous_)(int) = nullptr;
};

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

}  // namespace

// ---- Sha256 and hash_file ----------------------------------------------------------------

TEST(Sha256, KnownVectors) {
  // FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the empty message.
  EXPECT_EQ(crypto::to_hex(crypto::sha256("")), kEmptySha256);
  EXPECT_EQ(crypto::to_hex(crypto::sha256("abc")), kAbcSha256);
  EXPECT_EQ(
      crypto::to_hex(crypto::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(crypto::to_hex(crypto::sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingInPiecesEqualsOneShotAndTheHasherIsReusable) {
  const std::string data = pattern(100'003);
  crypto::Sha256 hasher;
  for (std::size_t offset = 0; offset < data.size(); offset += 7919) {
    hasher.update(std::string_view(data).substr(offset, 7919));
  }
  EXPECT_EQ(hasher.finish(), crypto::sha256(data));
  hasher.update("abc");
  EXPECT_EQ(crypto::to_hex(hasher.finish()), kAbcSha256);
  EXPECT_EQ(crypto::to_hex(hasher.finish()), kEmptySha256);
  crypto::Sha256 moved = std::move(hasher);
  moved.update("abc");
  EXPECT_EQ(crypto::to_hex(moved.finish()), kAbcSha256);
}

TEST(Sha256, ParsesHexAndRejectsAnythingElse) {
  const auto parsed =
      crypto::parse_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(crypto::to_hex(*parsed), kAbcSha256);
  EXPECT_FALSE(crypto::parse_sha256_hex(""));
  EXPECT_FALSE(crypto::parse_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(crypto::parse_sha256_hex(std::string(65, 'a')));
  EXPECT_FALSE(crypto::parse_sha256_hex(std::string(63, 'a') + "g"));
}

TEST(HashFile, EmptyAndAbcFiles) {
  test::TempDir dir;
  write_file(dir / "empty", "");
  write_file(dir / "abc", "abc");
  auto empty = crypto::hash_file(dir / "empty");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(crypto::to_hex(empty->sha256), kEmptySha256);
  EXPECT_EQ(empty->size, 0u);
  auto abc = crypto::hash_file(dir / "abc");
  ASSERT_TRUE(abc) << abc.error().message;
  EXPECT_EQ(crypto::to_hex(abc->sha256), kAbcSha256);
  EXPECT_EQ(abc->size, 3u);
}

TEST(HashFile, OneMebibytePatternMatchesSha256sumAtEveryBufferSize) {
  test::TempDir dir;
  const fs::path file = dir / "pattern.bin";
  write_file(file, pattern(1 << 20));
  const std::string expected = sha256sum_of(file);
  ASSERT_EQ(expected.size(), 64u) << "sha256sum did not run";
  // 4096 is the floor; 100,000 does not divide the file; 4 MiB is larger than it.
  for (std::size_t buffer_size : {std::size_t{1}, std::size_t{4096}, std::size_t{100'000},
                                  std::size_t{256 * 1024}, std::size_t{4 << 20}}) {
    EXPECT_EQ(hex_of_file(file, buffer_size), expected) << "buffer " << buffer_size;
  }
  auto digest = crypto::hash_file(file);
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->size, 1u << 20);
}

TEST(HashFile, ErrorsAreValuesNamingThePath) {
  test::TempDir dir;
  auto missing = crypto::hash_file(dir / "missing.jpg");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, std::errc::no_such_file_or_directory);
  EXPECT_EQ(missing.error().path, dir / "missing.jpg");
  EXPECT_NE(missing.error().message.find((dir / "missing.jpg").string()), std::string::npos);

  auto directory = crypto::hash_file(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, std::errc::is_a_directory);

  write_file(dir / "secret.jpg", "x");
  fs::permissions(dir / "secret.jpg", fs::perms::none);
  {
    WithoutFileOverride as_a_user;
    ASSERT_TRUE(as_a_user.effective()) << "root, and CAP_DAC_OVERRIDE could not be dropped";
    auto denied = crypto::hash_file(dir / "secret.jpg");
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, std::errc::permission_denied);
    EXPECT_NE(denied.error().message.find("secret.jpg"), std::string::npos);
  }

  // A FIFO would block a plain open() forever; it is refused at once.
  ASSERT_EQ(::mkfifo((dir / "fifo.jpg").c_str(), 0644), 0);
  auto fifo = crypto::hash_file(dir / "fifo.jpg");
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().code, std::errc::invalid_argument);
  EXPECT_NE(fifo.error().message.find("not a regular file"), std::string::npos);

  // A regular file whose read() fails: /proc/self/mem at offset 0 (unmapped) gives EIO.
  auto io_error = crypto::hash_file("/proc/self/mem");
  ASSERT_FALSE(io_error);
  EXPECT_EQ(io_error.error().code, std::errc::io_error);
  EXPECT_NE(io_error.error().message.find("cannot read"), std::string::npos);
}

// ---- AssetCache ----------------------------------------------------------------------------

TEST(AssetCacheExtension, NormalisedOrDropped) {
  EXPECT_EQ(scan::AssetCache::cache_extension("/m/Poster.JPG"), ".jpg");
  EXPECT_EQ(scan::AssetCache::cache_extension("movie.en.forced.srt"), ".srt");
  EXPECT_EQ(scan::AssetCache::cache_extension("trailer.mp4"), ".mp4");
  EXPECT_EQ(scan::AssetCache::cache_extension("README"), "");
  EXPECT_EQ(scan::AssetCache::cache_extension("x."), "");
  EXPECT_EQ(scan::AssetCache::cache_extension(".hidden"), "");
  EXPECT_EQ(scan::AssetCache::cache_extension("a.j-g"), "");
  EXPECT_EQ(scan::AssetCache::cache_extension("a.verylongext1"), "");
}

// Every cache test runs with O_TMPFILE (the normal path on ext4) and with the named-temporary
// fallback used on filesystems without it.
class AssetCacheTest : public ::testing::TestWithParam<bool> {
 protected:
  scan::AssetCacheOptions options() const { return {.use_tmpfile = GetParam()}; }
  test::TempDir library_;
  test::TempDir cache_dir_;
};

INSTANTIATE_TEST_SUITE_P(Temporaries, AssetCacheTest, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "OTmpfile" : "NamedTemporary";
                         });

TEST_P(AssetCacheTest, StoresUnderTheHashWithItsExtension) {
  const std::string poster = pattern(300'000, 7);
  write_file(library_ / "Alien (1979)/poster.JPG", poster);
  scan::AssetCache cache(cache_dir_.path(), options());
  auto stored = cache.store(library_ / "Alien (1979)/poster.JPG");
  ASSERT_TRUE(stored) << stored.error().message;
  const std::string hex = sha256sum_of(library_ / "Alien (1979)/poster.JPG");
  EXPECT_EQ(stored->sha256_hex, hex);
  EXPECT_EQ(stored->size, poster.size());
  EXPECT_EQ(stored->outcome, scan::AssetStoreOutcome::newly_stored);
  const fs::path relative = fs::path(hex.substr(0, 2)) / hex.substr(2, 2) / (hex + ".jpg");
  EXPECT_EQ(stored->relative_path, relative);
  EXPECT_EQ(stored->path, cache_dir_.path() / relative);
  EXPECT_EQ(read_file(stored->path), poster);
  EXPECT_EQ(files_under(cache_dir_.path()), std::vector<std::string>{relative.string()});
  EXPECT_EQ(cache.find(stored->sha256), stored->path);
  EXPECT_EQ(cache.directory_for(stored->sha256), stored->path.parent_path());
}

TEST_P(AssetCacheTest, AnIdenticalPosterInTwoMoviesIsStoredOnce) {
  const std::string poster = pattern(200'000, 3);
  write_file(library_ / "Alien (1979)/poster.jpg", poster);
  write_file(library_ / "Aliens (1986)/poster.jpg", poster);
  write_file(library_ / "Aliens (1986)/Aliens-poster.jpeg", poster);
  write_file(library_ / "Aliens (1986)/fanart.jpg", pattern(200'000, 4));
  scan::AssetCache cache(cache_dir_.path(), options());

  auto first = cache.store(library_ / "Alien (1979)/poster.jpg");
  auto second = cache.store(library_ / "Aliens (1986)/poster.jpg");
  auto third = cache.store(library_ / "Aliens (1986)/Aliens-poster.jpeg");
  auto fanart = cache.store(library_ / "Aliens (1986)/fanart.jpg");
  ASSERT_TRUE(first && second && third && fanart);
  EXPECT_EQ(first->outcome, scan::AssetStoreOutcome::newly_stored);
  EXPECT_EQ(second->outcome, scan::AssetStoreOutcome::deduplicated);
  EXPECT_EQ(third->outcome, scan::AssetStoreOutcome::deduplicated);
  EXPECT_EQ(fanart->outcome, scan::AssetStoreOutcome::newly_stored);
  EXPECT_EQ(second->path, first->path);
  EXPECT_EQ(third->path, first->path) << "same bytes, other extension: the existing file";
  EXPECT_EQ(second->size, poster.size());
  EXPECT_NE(fanart->path, first->path);
  EXPECT_EQ(files_under(cache_dir_.path()).size(), 2u);
}

TEST_P(AssetCacheTest, ADamagedCachedFileIsReplacedNotReturned) {
  const std::string poster = pattern(300'000, 11);
  write_file(library_ / "Alien (1979)/poster.jpg", poster);
  write_file(library_ / "Aliens (1986)/poster.jpg", poster);
  scan::AssetCache cache(cache_dir_.path(), options());
  auto first = cache.store(library_ / "Alien (1979)/poster.jpg");
  ASSERT_TRUE(first) << first.error().message;
  fs::resize_file(first->path, 4096);  // truncated behind the cache's back

  auto second = cache.store(library_ / "Aliens (1986)/poster.jpg");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->outcome, scan::AssetStoreOutcome::repaired);
  EXPECT_EQ(second->path, first->path);
  EXPECT_EQ(read_file(second->path), poster);
  EXPECT_EQ(files_under(cache_dir_.path()),
            std::vector<std::string>{first->relative_path.string()});
  auto verified = cache.verify(first->sha256);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->status, scan::AssetVerifyStatus::intact);
}

TEST_P(AssetCacheTest, TheSameBytesUnderTwoExtensionsAtOnceBecomeOneFile) {
  // The first store stalls after finding nothing cached, before naming its file; a second
  // store of the same bytes as .png starts meanwhile. It must wait and deduplicate, not
  // create a second file (linkat's EEXIST alone cannot see a different extension).
  const std::string poster = pattern(100'000, 21);
  write_file(library_ / "a/poster.jpg", poster);
  write_file(library_ / "b/poster.png", poster);
  std::atomic<int> calls{0};
  std::atomic<bool> first_stalled{false};
  scan::AssetCacheOptions stalling = options();
  stalling.before_link_for_test = [&] {
    if (calls.fetch_add(1) == 0) {
      first_stalled = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };
  scan::AssetCache cache(cache_dir_.path(), stalling);
  std::expected<scan::StoredAsset, crypto::FileError> first, second;
  std::thread first_thread([&] { first = cache.store(library_ / "a/poster.jpg"); });
  while (!first_stalled) std::this_thread::yield();
  second = cache.store(library_ / "b/poster.png");
  first_thread.join();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->outcome, scan::AssetStoreOutcome::newly_stored);
  EXPECT_EQ(second->outcome, scan::AssetStoreOutcome::deduplicated);
  EXPECT_EQ(second->path, first->path);
  EXPECT_EQ(files_under(cache_dir_.path()).size(), 1u);
}

TEST_P(AssetCacheTest, ConcurrentStoresOfTheSameContentKeepOneFile) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const std::string content = pattern(512 * 1024 + round, 100 + round);
    for (int t = 0; t < kThreads; ++t) {
      // Half with another extension: the in-process lock must still make one file.
      write_file(library_ / ("movie" + std::to_string(t)) / (t % 2 ? "poster.png" : "poster.jpg"),
                 content);
    }
    scan::AssetCache cache(cache_dir_.path(), options());
    std::vector<std::expected<scan::StoredAsset, crypto::FileError>> results(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ++ready;
        while (ready.load() < kThreads) std::this_thread::yield();
        results[t] = cache.store(library_ / ("movie" + std::to_string(t)) /
                                 (t % 2 ? "poster.png" : "poster.jpg"));
      });
    }
    for (auto& thread : threads) thread.join();

    int newly_stored = 0;
    for (const auto& result : results) {
      ASSERT_TRUE(result) << result.error().message;
      EXPECT_EQ(result->path, results[0]->path);
      EXPECT_EQ(result->size, content.size());
      newly_stored += result->outcome == scan::AssetStoreOutcome::newly_stored;
    }
    EXPECT_EQ(newly_stored, 1) << "round " << round;
    EXPECT_EQ(read_file(results[0]->path), content);
    EXPECT_EQ(files_under(cache_dir_.path()).size(), static_cast<std::size_t>(round + 1))
        << "round " << round;
  }
}

TEST_P(AssetCacheTest, AMissingSourceIsAnErrorAndLeavesNothing) {
  scan::AssetCache cache(cache_dir_.path(), options());
  auto stored = cache.store(library_ / "Alien (1979)/poster.jpg");
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().code, std::errc::no_such_file_or_directory);
  EXPECT_EQ(stored.error().path, library_ / "Alien (1979)/poster.jpg");
  EXPECT_TRUE(files_under(cache_dir_.path()).empty());

  auto directory = cache.store(library_.path());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, std::errc::is_a_directory);
  EXPECT_TRUE(files_under(cache_dir_.path()).empty());
}

TEST_P(AssetCacheTest, AnUnreadableSourceIsAnErrorAndLeavesNothing) {
  write_file(library_ / "poster.jpg", pattern(10'000));
  fs::permissions(library_ / "poster.jpg", fs::perms::none);
  scan::AssetCache cache(cache_dir_.path(), options());
  {
    WithoutFileOverride as_a_user;
    ASSERT_TRUE(as_a_user.effective()) << "root, and CAP_DAC_OVERRIDE could not be dropped";
    auto stored = cache.store(library_ / "poster.jpg");
    ASSERT_FALSE(stored);
    EXPECT_EQ(stored.error().code, std::errc::permission_denied);
    EXPECT_NE(stored.error().message.find("poster.jpg"), std::string::npos);
  }
  // A source whose read() fails midway (EIO) after the temporary was created.
  auto io_error = cache.store("/proc/self/mem");
  ASSERT_FALSE(io_error);
  EXPECT_EQ(io_error.error().code, std::errc::io_error);
  EXPECT_TRUE(files_under(cache_dir_.path()).empty());
}

TEST_P(AssetCacheTest, AFailedWriteLeavesNoPartialOrTemporaryFile) {
  write_file(library_ / "trailer.mp4", pattern(1 << 20, 9));
  scan::AssetCache cache(cache_dir_.path(), options());
  {
    const FileSizeLimit limit(64 * 1024);  // the copy fails after 64 KiB, like a full disk
    auto stored = cache.store(library_ / "trailer.mp4");
    ASSERT_FALSE(stored);
    EXPECT_EQ(stored.error().code, std::errc::file_too_large);
    EXPECT_NE(stored.error().message.find("cannot write"), std::string::npos);
  }
  EXPECT_TRUE(files_under(cache_dir_.path()).empty());
  // The cache still works afterwards, and the file is whole.
  auto stored = cache.store(library_ / "trailer.mp4");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->outcome, scan::AssetStoreOutcome::newly_stored);
  EXPECT_EQ(read_file(stored->path), pattern(1 << 20, 9));
}

TEST_P(AssetCacheTest, VerifyReportsIntactMissingAndCorrupt) {
  write_file(library_ / "fanart.jpg", pattern(50'000, 5));
  scan::AssetCache cache(cache_dir_.path(), options());
  auto stored = cache.store(library_ / "fanart.jpg");
  ASSERT_TRUE(stored) << stored.error().message;

  auto intact = cache.verify(stored->sha256);
  ASSERT_TRUE(intact) << intact.error().message;
  EXPECT_EQ(intact->status, scan::AssetVerifyStatus::intact);
  EXPECT_EQ(intact->path, stored->path);

  auto missing = cache.verify(crypto::sha256("not cached"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, scan::AssetVerifyStatus::missing);
  EXPECT_FALSE(missing->path);

  {  // A bit flipped on disk after caching.
    std::fstream file(stored->path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1000);
    file.put('\xff' ^ pattern(50'000, 5)[1000]);
  }
  auto corrupt = cache.verify(stored->sha256);
  ASSERT_TRUE(corrupt);
  EXPECT_EQ(corrupt->status, scan::AssetVerifyStatus::corrupt);
  ASSERT_TRUE(corrupt->actual);
  EXPECT_EQ(crypto::to_hex(*corrupt->actual), sha256sum_of(stored->path));
}

TEST(AssetCache, RemovesStaleTemporariesLeftByACrash) {
  test::TempDir cache_dir;
  write_file(cache_dir / ".incoming/asset-stale1", "half a poster");
  write_file(cache_dir / ".incoming/asset-fresh1", "being written");
  fs::last_write_time(cache_dir / ".incoming/asset-stale1",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  scan::AssetCache cache(cache_dir.path());
  EXPECT_EQ(files_under(cache_dir.path()), std::vector<std::string>{".incoming/asset-fresh1"});
}
