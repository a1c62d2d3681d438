#include "media/mp4_audio.hpp"

#include <taglib/mp4file.h>

#include <cstring>
#include <vector>

namespace scanhub::media {

namespace {

// Big-endian cursor over a byte block; reads past the end yield 0 and set `bad`.
class Reader {
 public:
  explicit Reader(const TagLib::ByteVector& data, unsigned position = 0)
      : data_(data), position_(position) {}

  std::uint64_t read(unsigned bytes) {
    std::uint64_t value = 0;
    for (unsigned i = 0; i < bytes; ++i) {
      if (position_ >= data_.size()) {
        bad = true;
        return 0;
      }
      value = (value << 8) | static_cast<unsigned char>(data_[position_++]);
    }
    return value;
  }
  void skip(unsigned bytes) { position_ += bytes; }
  // MPEG-4 descriptor length: up to four bytes of 7 bits, high bit = more follows.
  unsigned descriptor_length() {
    unsigned length = 0;
    for (int i = 0; i < 4; ++i) {
      const auto byte = static_cast<unsigned>(read(1));
      length = (length << 7) | (byte & 0x7F);
      if (!(byte & 0x80)) break;
    }
    return length;
  }
  unsigned position() const { return position_; }

  bool bad = false;

 private:
  const TagLib::ByteVector& data_;
  unsigned position_;
};

// One ISO BMFF box: where its payload starts and ends in the file.
struct Box {
  char type[5] = {};
  long long payload = 0;
  long long end = 0;
};

constexpr int kMaxBoxes = 4096;  // bound the walk of untrusted files

// The boxes directly inside [begin, end) of `file`.
std::vector<Box> children(TagLib::MP4::File& file, long long begin, long long end, int& budget) {
  std::vector<Box> boxes;
  long long position = begin;
  while (position + 8 <= end && budget-- > 0) {
    file.seek(position);
    const TagLib::ByteVector header = file.readBlock(16);
    if (header.size() < 8) break;
    Reader r(header);
    long long size = static_cast<long long>(r.read(4));
    Box box;
    for (int i = 0; i < 4; ++i) box.type[i] = header[4 + i];
    long long header_size = 8;
    if (size == 1) {
      size = static_cast<long long>(r.read(8));
      header_size = 16;
    } else if (size == 0) {
      size = end - position;
    }
    if (r.bad || size < header_size || position + size > end) break;
    box.payload = position + header_size;
    box.end = position + size;
    boxes.push_back(box);
    position += size;
  }
  return boxes;
}

const Box* find_box(const std::vector<Box>& boxes, const char* type) {
  for (const Box& box : boxes) {
    if (std::memcmp(box.type, type, 4) == 0) return &box;
  }
  return nullptr;
}

// The whole box (header included, as the parsers below expect) when it is small enough.
TagLib::ByteVector read_box(TagLib::MP4::File& file, const Box& box) {
  const long long header = 8;
  const long long length = box.end - box.payload + header;
  if (length <= header || length > (1 << 16)) return {};
  file.seek(box.payload - header);
  return file.readBlock(static_cast<unsigned long>(length));
}

// channelConfiguration from the esds box found inside the mp4a sample entry bytes.
std::optional<std::int64_t> channels_from_sample_entry(const TagLib::ByteVector& mp4a) {
  const int esds = mp4a.find("esds");
  if (esds < 4) return std::nullopt;
  Reader r(mp4a, static_cast<unsigned>(esds) + 4 + 4);  // name, version and flags
  if (r.read(1) != 0x03) return std::nullopt;           // ES_Descriptor
  r.descriptor_length();
  r.skip(2);  // ES_ID
  const auto flags = r.read(1);
  if (flags & 0x80) r.skip(2);                                  // dependsOn_ES_ID
  if (flags & 0x40) r.skip(static_cast<unsigned>(r.read(1)));   // URL
  if (flags & 0x20) r.skip(2);                                  // OCR_ES_Id
  if (r.read(1) != 0x04) return std::nullopt;                   // DecoderConfigDescriptor
  r.descriptor_length();
  r.skip(13);
  if (r.read(1) != 0x05) return std::nullopt;  // DecoderSpecificInfo = AudioSpecificConfig
  r.descriptor_length();
  // audioObjectType:5 [+6], samplingFrequencyIndex:4 [+24], channelConfiguration:4
  std::uint64_t bits = r.read(4);
  int available = 32;
  const auto take = [&](int count) {
    available -= count;
    return static_cast<unsigned>((bits >> available) & ((1u << count) - 1));
  };
  if (take(5) == 31) take(6);
  if (take(4) == 15) {
    // 24-bit explicit frequency: refill so the 4 channel bits are still in the window.
    bits = (bits << 24) | r.read(3);
    available += 24;
    take(24);
  }
  const unsigned channels = take(4);
  if (r.bad || channels == 0) return std::nullopt;  // 0: defined in a program config element
  return channels == 7 ? 8 : static_cast<std::int64_t>(channels > 7 ? 0 : channels);
}

// Sum of presented segment durations in movie timescale units, from the elst inside `edts`.
std::optional<std::uint64_t> presented_duration(const TagLib::ByteVector& edts) {
  const int elst = edts.find("elst");
  if (elst < 4) return std::nullopt;
  Reader r(edts, static_cast<unsigned>(elst) + 4);
  const auto version = r.read(1);
  r.skip(3);
  const auto entries = r.read(4);
  if (entries == 0 || entries > 64) return std::nullopt;
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < entries; ++i) {
    const std::uint64_t duration = r.read(version == 1 ? 8 : 4);
    const std::uint64_t media_time = r.read(version == 1 ? 8 : 4);
    r.skip(4);  // media rate
    const bool empty_edit = version == 1 ? media_time == ~std::uint64_t{0}
                                         : media_time == 0xFFFFFFFFu;
    if (!empty_edit) total += duration;
  }
  if (r.bad || total == 0) return std::nullopt;
  return total;
}

std::optional<std::uint64_t> movie_timescale(const TagLib::ByteVector& mvhd) {
  Reader r(mvhd, 8);
  const auto version = r.read(1);
  r.skip(3 + (version == 1 ? 16 : 8));
  const auto timescale = r.read(4);
  if (r.bad || timescale == 0) return std::nullopt;
  return timescale;
}

}  // namespace

Mp4AudioFacts read_mp4_audio_facts(TagLib::MP4::File& file) noexcept {
  Mp4AudioFacts facts;
  try {
    int budget = kMaxBoxes;
    const auto top = children(file, 0, static_cast<long long>(file.length()), budget);
    const Box* moov = find_box(top, "moov");
    if (!moov) return facts;
    const auto in_moov = children(file, moov->payload, moov->end, budget);
    const Box* mvhd = find_box(in_moov, "mvhd");
    for (const Box& trak : in_moov) {
      if (std::memcmp(trak.type, "trak", 4) != 0) continue;
      const auto in_trak = children(file, trak.payload, trak.end, budget);
      std::optional<Box> stsd;
      if (const Box* mdia = find_box(in_trak, "mdia")) {
        const auto in_mdia = children(file, mdia->payload, mdia->end, budget);
        if (const Box* minf = find_box(in_mdia, "minf")) {
          const auto in_minf = children(file, minf->payload, minf->end, budget);
          if (const Box* stbl = find_box(in_minf, "stbl")) {
            const auto in_stbl = children(file, stbl->payload, stbl->end, budget);
            if (const Box* found = find_box(in_stbl, "stsd")) stsd = *found;
          }
        }
      }
      if (!stsd) continue;
      const TagLib::ByteVector entries = read_box(file, *stsd);
      if (entries.find("mp4a") < 0) continue;  // not AAC audio
      facts.channels = channels_from_sample_entry(entries);
      const Box* edts = find_box(in_trak, "edts");
      if (edts && mvhd) {
        const auto presented = presented_duration(read_box(file, *edts));
        const auto timescale = movie_timescale(read_box(file, *mvhd));
        if (presented && timescale) {
          facts.duration_ms = static_cast<std::int64_t>(*presented * 1000 / *timescale);
        }
      }
      break;
    }
  } catch (...) {
    // Malformed boxes: keep what TagLib said.
  }
  return facts;
}

}  // namespace scanhub::media
