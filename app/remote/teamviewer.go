package remote

// TeamViewer framing. TeamViewer's protocol is proprietary and unpublished;
// what is checked here is what public reverse engineering agrees on (the
// magic DPI engines such as nDPI match):
//
//   - packets start with a two-byte magic: 0x17 0x24 for the "CMD" packets
//     of the classic protocol on TCP 5938 (and HTTP-tunnelled), 0x11 0x30
//     for the data packets of the other variant;
//   - the third byte is a command code from TeamViewer's command table
//     (CMD_IDENTIFY = 10, CMD_REQUESTCONNECT = 11, CMD_DISCONNECT = 13 … 63,
//     CMD_UDPREQUESTCONNECT = 70 … 72, CMD_DATA = 90 … 113).
//
// The length field that follows is not checked: its width is not publicly
// documented (observed first packets fit both a 16- and a 32-bit
// little-endian length), and a wrong guess would miss real sessions.

// TeamViewer reports whether b starts like a TeamViewer packet. It checks,
// and only checks:
//
//  1. len(b) >= 4;
//  2. b[0:2] is 0x17 0x24 or 0x11 0x30;
//  3. b[2] is a known command code (see above).
//
// The pattern is short, so use it with the port (5938, or 443/80 when
// tunnelled) or as one vote among several packets, as a DPI engine would.
func TeamViewer(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	if (b[0] == 0x17 && b[1] == 0x24) || (b[0] == 0x11 && b[1] == 0x30) {
		return tvCommand(b[2])
	}
	return false
}

// tvCommand reports whether c is in TeamViewer's command table.
func tvCommand(c byte) bool {
	switch {
	case c == 10, c == 11, c >= 13 && c <= 63, c >= 70 && c <= 72, c >= 90 && c <= 113:
		return true
	}
	return false
}
