package tls

import "strconv"

// Protocol versions (RFC 8446 §5.1, RFC 5246 Appendix E).
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// VersionString returns "SSL 3.0", "TLS 1.0" … "TLS 1.3", or the version in
// hex ("0x7f1c") for any other value; only the latter allocates.
func VersionString(v uint16) string {
	switch v {
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	}
	s := strconv.FormatUint(uint64(v), 16)
	return "0x0000"[:6-len(s)] + s
}
