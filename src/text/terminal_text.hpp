#pragma once
// Text for a terminal: names from the file system (and reasons quoting them) are printed by the
// CLI, and a name holding an escape sequence would otherwise drive the operator's terminal
// (move the cursor, retitle the window, rewrite what was printed). Pure, any thread; throws
// only std::bad_alloc.

#include <string>
#include <string_view>

namespace scanhub::text {

/// `text` safe to print: every C0 control (U+0000-U+001F, tab and newline included) and DEL
/// as `\xNN` (ESC is `\x1b`, so an escape sequence shows as text), every C1 control
/// (U+0080-U+009F) and the bidirectional controls (U+202A-U+202E, U+2066-U+2069, which reorder
/// what follows them on the line) as `\uNNNN`, and each byte that is not well-formed UTF-8 as
/// U+FFFD. Backslashes are left as they are. Printable text is returned unchanged.
std::string escape_for_terminal(std::string_view text);

}  // namespace scanhub::text
