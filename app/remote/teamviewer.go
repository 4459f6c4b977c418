package remote

import "encoding/binary"

// TeamViewer framing. TeamViewer's protocol is proprietary and unpublished;
// what is checked here is what public reverse engineering agrees on:
//
//   - packets start with a two-byte magic: 0x17 0x24 for the "CMD" packets
//     of the classic protocol on TCP 5938 (and HTTP-tunnelled), 0x11 0x30
//     for the data packets of the other variant;
//   - the third byte is a command code from TeamViewer's command table
//     (CMD_IDENTIFY = 10, CMD_REQUESTCONNECT = 11, CMD_DISCONNECT = 13 … 63,
//     CMD_UDPREQUESTCONNECT = 70 … 72, CMD_DATA = 90 … 113);
//   - a 0x17 0x24 packet has a 5-byte header: magic, command, and a 16-bit
//     little-endian body length. This layout is inferred, not documented:
//     DPI signatures expect the first packet of a session to be a 37-byte
//     CMD_IDENTIFY starting 17 24 0a 20, and 37 = 5 + 0x20.
const (
	tvHeaderLen = 5
)

// TeamViewer reports whether b starts like a TeamViewer packet. It checks,
// and only checks:
//
//  1. len(b) >= 4;
//  2. b[0:2] is 0x17 0x24 or 0x11 0x30;
//  3. b[2] is a known command code (see above);
//  4. for 0x17 0x24 with at least 5 bytes: if the packet the length field
//     declares (5 + length) ends inside b, then b ends there too or the next
//     bytes start another 0x17 0x24 packet — a length that points into the
//     middle of unrelated bytes is rejected. A packet continuing past b is
//     accepted (the rest is in the next segment). No length is read for
//     0x11 0x30 packets, whose header is not publicly described.
//
// The pattern is short, so use it with the port (5938) or as one vote among
// several packets, as a DPI engine would.
func TeamViewer(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch {
	case b[0] == 0x17 && b[1] == 0x24:
		if !tvCommand(b[2]) {
			return false
		}
		if len(b) < tvHeaderLen {
			return true
		}
		end := tvHeaderLen + int(binary.LittleEndian.Uint16(b[3:]))
		if end >= len(b) {
			return true
		}
		next := b[end:]
		return len(next) >= 2 && next[0] == 0x17 && next[1] == 0x24
	case b[0] == 0x11 && b[1] == 0x30:
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
