#include "text/terminal_text.hpp"

#include <gtest/gtest.h>

using namespace scanhub::text;

TEST(EscapeForTerminal, LeavesPrintableTextAlone) {
  for (const char* text :
       {"", "Artist/Album/01 Track.mp3", "Björk/Homogenic", "坂本龍一 😊", "a\\b"}) {
    EXPECT_EQ(escape_for_terminal(text), text);
  }
}

TEST(EscapeForTerminal, EscapesControlsVisibly) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"\x1b]0;pwned\x07name.mp3", "\\x1b]0;pwned\\x07name.mp3"},  // retitles the window
      {"\x1b[2J\x1b[Hclear", "\\x1b[2J\\x1b[Hclear"},              // clears the screen
      {"a\tb\nc\rd", "a\\x09b\\x0ac\\x0dd"},
      {std::string("nul\0here", 8), "nul\\x00here"},
      {"del\x7f", "del\\x7f"},
      // Octal escapes where a digit follows: "\x9B3" would be one character.
      {"c1 \302\23331m", "c1 \\u009b31m"},                // C1 CSI, encoded
      {"rtl \342\200\2563pm.exe", "rtl \\u202e3pm.exe"},  // right-to-left override
      {"raw \23331m", "raw \357\277\27531m"},             // C1 as a raw byte: not UTF-8
      {"caf\xE9.mp3", "caf\xEF\xBF\xBD.mp3"},
  };
  for (const Case& c : cases) EXPECT_EQ(escape_for_terminal(c.in), c.out) << c.out;
}
