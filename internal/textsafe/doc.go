// Package textsafe makes text from the wire and from files safe to show:
// in a terminal or a text report (String) and in a spreadsheet cell (Cell).
//
// It is a leaf of the views: report, inventory's text and CSV writers and
// the command line call it on every name they print that came from a
// capture, a site model or an imported file. It imports only the standard
// library and holds no state; every function is safe to call concurrently.
//
// What is escaped, and how (docs/formats/report.md, "Text safety"):
//
//   - the C0 controls U+0000–U+001F and DEL U+007F: tab, line feed and
//     carriage return as \t, \n and \r (a field never breaks a line or a
//     table column), the others as \xHH (ESC is \x1b);
//   - the C1 controls U+0080–U+009F (CSI U+009B starts an escape sequence
//     in many terminals) as \u0080–\u009f;
//   - the Unicode bidirectional controls U+061C, U+200E, U+200F,
//     U+202A–U+202E and U+2066–U+2069, and the line and paragraph
//     separators U+2028 and U+2029, as \uHHHH (RLO U+202E is \u202e);
//   - each byte of invalid UTF-8 as \xHH.
//
// Hex digits are lower case. Everything else, backslashes included, is
// unchanged, so that printable text prints exactly as it is; a backslash
// in the input is therefore not escaped, and "\x1b" in a report may be the
// four characters of a name as well as an escaped ESC. The output holds no
// control, bidi or separator character and is valid UTF-8, and escaping
// it again changes nothing.
package textsafe
