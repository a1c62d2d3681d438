#include "names.hpp"

#include <array>

namespace scanhub::make_library::names {
namespace {

constexpr std::array<std::string_view, 24> kNotableArtists{
    "Ólafur Arnalds",
    "Hüsker Dü",
    "Beyoncé",
    "Кино",
    "Les Négresses Vertes",
    "Guns N' Roses",
    "Simon & Garfunkel",
    "!!!",
    "Nils Frahm",
    "Café Tacvba",
    "Jóhann Jóhannsson",
    "MØ",
    "Amadou & Mariam",
    "東京事変",
    "방탄소년단",
    "Sigur Rós",
    "Björk",
    "坂本龍一",
    "Motörhead",
    "AC／DC",
    "Mötley Crüe",
    "Röyksopp",
    "Françoise Hardy",
    "Ἀρχαία Φωνή",
};

constexpr std::array<std::string_view, 32> kAdjectives{
    "Velvet",    "Silent",  "Electric", "Hollow", "Golden", "Crimson",  "Distant", "Frozen",
    "Neon",      "Paper",   "Wild",     "Quiet",  "Broken", "Lunar",    "Amber",   "Glass",
    "Last",      "Hidden",  "Endless",  "Bright", "Slow",   "Northern", "Empty",   "Sweet",
    "Wandering", "Burning", "Pale",     "Little", "Open",   "Secret",   "Falling", "Blue",
};

constexpr std::array<std::string_view, 32> kNouns{
    "Harbor", "River",   "Signal",  "Garden",  "Mirror", "Engine",  "Season",   "Highway",
    "Echo",   "Lantern", "Orchard", "Tide",    "Canyon", "Letter",  "Machine",  "Window",
    "Meadow", "Station", "Thunder", "Sparrow", "Island", "Circle",  "Shadow",   "Wire",
    "Forest", "Comet",   "Ember",   "Harvest", "Parade", "Horizon", "Mountain", "Dream",
};

constexpr std::array<std::string_view, 22> kSpecialTitles{
    "Either/Or",  "What's Up?", "Café del Mar",
    "Hoppípolla", "夜明け",     "Déjà Vu",
    "Naïve",      "Σκιά",       "Ça plane pour moi",
    "Smile 😊",    "Zoë's Song", "100% Pure",
    "Track #9",   "Mañana",     "Straße",
    "Fire & Ice", "…And Then",  "Über Alles (Live)",
    "Jóga",       "Hunter",     "Пустота",
    "Señorita",
};

constexpr std::array<std::string_view, 14> kGenres{
    "Electronic", "Rock", "Jazz", "Post-Rock",   "Metal", "Hip-Hop",    "Classical",
    "Ambient",    "Folk", "Pop",  "Drum & Bass", "J-Pop", "Soundtrack", "Musique concrète",
};

}  // namespace

std::span<const std::string_view> notable_artists() {
  return kNotableArtists;
}
std::span<const std::string_view> adjectives() {
  return kAdjectives;
}
std::span<const std::string_view> nouns() {
  return kNouns;
}
std::span<const std::string_view> special_titles() {
  return kSpecialTitles;
}
std::span<const std::string_view> genres() {
  return kGenres;
}

}  // namespace scanhub::make_library::names
