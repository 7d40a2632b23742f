// Strings taken from the target (function and file names, library paths,
// pprof labels, GODEBUG) are escaped before they reach a terminal: an ESC or
// OSC sequence in a function name must not retitle or clear the screen, a
// CR or newline must not forge a line such as `goroutine 999 [running]:`.
// ESC becomes `\e`; every other C0 byte, DEL, the C1 controls (U+0080..
// U+009F, which terminals also obey) and bytes that are not valid UTF-8
// become `\xNN`.  Valid UTF-8 text is kept.  JSON output is not escaped
// this way (its writer escapes by JSON's rules).
#pragma once

#include <string>
#include <string_view>

namespace cgostack::views {

void AppendEscaped(std::string& out, std::string_view s);
std::string Escaped(std::string_view s);
// Characters a terminal advances over (UTF-8 code points) once escaped: the
// width used to align columns.
size_t DisplayWidth(std::string_view escaped);

}  // namespace cgostack::views
