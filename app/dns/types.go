package dns

import "strconv"

// Resource record types (RFC 1035 §3.2.2 and the IANA DNS parameters
// registry) that harborwatch names.
const (
	TypeA      uint16 = 1
	TypeNS     uint16 = 2
	TypeCNAME  uint16 = 5
	TypeSOA    uint16 = 6
	TypePTR    uint16 = 12
	TypeHINFO  uint16 = 13
	TypeMX     uint16 = 15
	TypeTXT    uint16 = 16
	TypeAAAA   uint16 = 28
	TypeSRV    uint16 = 33
	TypeNAPTR  uint16 = 35
	TypeDNAME  uint16 = 39
	TypeOPT    uint16 = 41
	TypeDS     uint16 = 43
	TypeRRSIG  uint16 = 46
	TypeNSEC   uint16 = 47
	TypeDNSKEY uint16 = 48
	TypeNSEC3  uint16 = 50
	TypeTLSA   uint16 = 52
	TypeSVCB   uint16 = 64
	TypeHTTPS  uint16 = 65
	TypeIXFR   uint16 = 251
	TypeAXFR   uint16 = 252
	TypeANY    uint16 = 255
	TypeCAA    uint16 = 257
)

// ClassIN is the Internet class (RFC 1035 §3.2.4).
const ClassIN uint16 = 1

// Response codes (RFC 1035 §4.1.1, RFC 2136 §2.2).
const (
	RCodeNoError  uint8 = 0
	RCodeFormErr  uint8 = 1
	RCodeServFail uint8 = 2
	RCodeNXDomain uint8 = 3
	RCodeNotImp   uint8 = 4
	RCodeRefused  uint8 = 5
)

// TypeString returns the mnemonic of a record type ("A", "AAAA", …), or
// "TYPEn" (RFC 3597 §5) for a type it does not name; only the latter
// allocates.
func TypeString(t uint16) string {
	switch t {
	case TypeA:
		return "A"
	case TypeNS:
		return "NS"
	case TypeCNAME:
		return "CNAME"
	case TypeSOA:
		return "SOA"
	case TypePTR:
		return "PTR"
	case TypeHINFO:
		return "HINFO"
	case TypeMX:
		return "MX"
	case TypeTXT:
		return "TXT"
	case TypeAAAA:
		return "AAAA"
	case TypeSRV:
		return "SRV"
	case TypeNAPTR:
		return "NAPTR"
	case TypeDNAME:
		return "DNAME"
	case TypeOPT:
		return "OPT"
	case TypeDS:
		return "DS"
	case TypeRRSIG:
		return "RRSIG"
	case TypeNSEC:
		return "NSEC"
	case TypeDNSKEY:
		return "DNSKEY"
	case TypeNSEC3:
		return "NSEC3"
	case TypeTLSA:
		return "TLSA"
	case TypeSVCB:
		return "SVCB"
	case TypeHTTPS:
		return "HTTPS"
	case TypeIXFR:
		return "IXFR"
	case TypeAXFR:
		return "AXFR"
	case TypeANY:
		return "ANY"
	case TypeCAA:
		return "CAA"
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// RCodeString returns the mnemonic of a response code ("NOERROR",
// "NXDOMAIN", …), or "RCODEn" for one it does not name; only the latter
// allocates.
func RCodeString(rc uint8) string {
	switch rc {
	case RCodeNoError:
		return "NOERROR"
	case RCodeFormErr:
		return "FORMERR"
	case RCodeServFail:
		return "SERVFAIL"
	case RCodeNXDomain:
		return "NXDOMAIN"
	case RCodeNotImp:
		return "NOTIMP"
	case RCodeRefused:
		return "REFUSED"
	}
	return "RCODE" + strconv.Itoa(int(rc))
}
