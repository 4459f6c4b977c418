// Package oui tells which organisation the IEEE assigned a MAC address
// block to: the "vendor from the MAC OUI" of the asset inventory. It is a
// leaf beside the data path: the inventory calls Lookup and Kind on the MAC
// addresses decode reads from frames (source → decode → flow → analyzers →
// detect → inventory); it imports nothing of the project.
//
// # Registries
//
// The IEEE Registration Authority sells blocks of the 48-bit address space
// from four registries (IEEE Std 802-2014 clause 8; the RA's "Guidelines for
// Use of Extended Unique Identifier (EUI), Organizationally Unique
// Identifier (OUI), and Company ID (CID)"):
//
//   - MA-L (MAL): 24-bit prefix, the classic OUI, 2^24 addresses;
//   - MA-M (MAM): 28-bit prefix, 2^20 addresses;
//   - MA-S (MAS): 36-bit prefix (OUI-36), 2^12 addresses;
//   - IAB: 36-bit prefix, the older registry MA-S replaced; its blocks
//     stay valid.
//
// MA-M, MA-S and IAB blocks are carved out of MA-L blocks registered to the
// "IEEE Registration Authority" itself (00-50-C2, 70-B3-D5, 8C-1F-64, …).
// Lookup takes the longest prefix that matches, so a MAC in 70-B3-D5-0A-E
// names the MA-S owner, not the RA. The RA's own rows are left out of the
// table: a MAC in a part of such a block that no one holds is attributed to
// nobody, not to the IEEE. A few early MA-L blocks were given to several
// organisations (08-00-30: CERN, Network Research Corporation, Royal
// Melbourne Institute of Technology); their Block.Org lists them all.
//
// # Address kinds
//
// Only universally administered unicast addresses name a vendor: Lookup
// returns false for any address whose I/G bit (0x01 of the first octet,
// multicast) or U/L bit (0x02, locally administered) is set, even when its
// other bits match a block (the table leaves out the twenty MA-L blocks,
// assigned before IEEE 802 fixed those bits, whose prefix has one set:
// 02-60-8C 3COM, AA-00-04 DEC, …). Kind says which case an address is:
//
//   - Multicast: I/G = 1. Group addresses (01-00-5E-…, 33-33-…,
//     01-80-C2-…, broadcast) name a protocol or a group, not a device.
//   - Universal: I/G = 0, U/L = 0: an address from an IEEE block.
//   - Local and Randomized: I/G = 0, U/L = 1. IEEE Std 802c-2017 (clause
//     8.4, the Structured Local Address Plan, SLAP) splits the local space
//     into four quadrants by the Y (0x04) and Z (0x08) bits of the first
//     octet, visible as its second hex digit:
//     ELI, Extended Local Identifier (Z=1, Y=0, digit A): built from an IEEE
//     Company ID (CID);
//     SAI, Standard Assigned Identifier (Z=1, Y=1, digit E): assigned by a
//     protocol an IEEE 802 standard specifies;
//     AAI, Administratively Assigned Identifier (Z=0, Y=0, digit 2): left to
//     local administrators and to address generators, random ones included;
//     reserved (Z=0, Y=1, digit 6): reserved by 802c, used in practice like
//     AAI by software that draws addresses at random.
//     Kind returns Randomized for AAI and reserved (second digit 2 or 6) and
//     Local for ELI and SAI (A or E).
//
// Randomized means "in a quadrant where random and hand-made addresses
// live", not "proven random". Phones and laptops that hide their MAC
// (Android, iOS, Windows per-network addresses) send a random local unicast
// address; a generator that keeps to AAI is always Randomized, one that
// draws all 46 free bits lands in ELI or SAI half of the time and is then
// Local. Addresses set by software land in AAI too: QEMU/KVM's 52-54-00,
// Docker's 02-42. So a Randomized address on a crane network is a prompt to
// look (a phone, a laptop, a VM), and a Local one, rarer, deserves the same
// look.
//
// # Data
//
// The table comes from the IEEE lists (oui.csv, mam.csv, oui36.csv,
// iab.csv) as Debian's ieee-data package ships them in /usr/share/ieee-data.
// The generator oui/internal/gen turns them into ieee.txt.gz, which is
// committed and embedded in the binary; Version returns the date the lists
// were fetched (ieee-data's .lastupdate). To refresh it, install a newer
// ieee-data (or run its update-ieee-data) and run
//
//	go generate ./oui
//
// then review the counts the generator prints, update the pinned counts in
// the tests, and commit ieee.txt.gz. Organisation names keep the IEEE's
// spelling with white space normalised and HTML character references
// (&amp;) decoded; see the generator for what it drops and merges.
//
// The file is gzip-compressed UTF-8 text, one line each:
//
//	harborwatch-oui 1
//	# comment lines, only before the version line
//	version 2022-08-27
//	L 001B1B Siemens AG,
//	M 741AE09 Private
//	S 70B3D5F2F TELEPLATFORMS
//	I 0050C27D5 DEUTA-WERKE GmbH
//	end 46211
//
// A block line is the registry (L MA-L, M MA-M, S MA-S, I IAB), the prefix
// in upper-case hex (6, 7 or 9 digits), and the organisation (valid UTF-8,
// no control characters, no space at either end). Blocks are sorted by
// prefix length, then by prefix, each at most once (MA-S and IAB share the
// 36-bit order); "end" gives their number, so a cut file is an error. Load
// checks all of this and reports the line of the first fault; it wraps
// ErrFormat.
//
// # Performance and concurrency
//
// The embedded table is parsed once, on first use (sync.Once; about 30 ms
// and 2.2 MB of heap), into one sorted []uint64 of prefixes per prefix length
// (24, 28, 36 bits) with parallel registry and organisation indexes into
// one deduplicated []string of names. Lookup is at most three binary
// searches and allocates nothing: Block.Prefix and Block.Org are substrings
// of strings the table holds. Kind reads one octet. A Table never changes
// after Load; all functions and methods are safe for concurrent use, and
// the strings a Block holds may be kept.
package oui

//go:generate go run ./internal/gen -dir /usr/share/ieee-data -out ieee.txt.gz
