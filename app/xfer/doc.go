// Package xfer parses the file-transfer protocols seen on crane and port OT
// networks: the FTP control connection (RFC 959), TFTP (RFC 1350 with the
// option extension of RFC 2347), and SMB2/SMB3 over NetBIOS session service
// framing ([MS-SMB2] §2.1, §2.2; RFC 1002 §4.3). Cleartext firmware and
// program transfers by FTP or TFTP, and file writes over SMB, are what the
// file-transfer.insecure finding reports.
//
// Place in the data path: source → decode → flow → analyzers → detect. The
// pipeline's registry lists TFTPProbe, SMBProbe and FTPProbe (port and
// ProbeTFTPRequest / ProbeSMB / FTPReply on the first payload) with their
// Specs, whose analyzers (report.go) call NextFTPCommand, ParseTFTP or
// ParseSMB2 on each payload and report the transfers and events (who
// stored or fetched which file, which share was mounted, which file was
// opened for writing). The parsers keep no state between calls, except the one noted
// for compounded SMB2 messages (see ParseSMB2). The SMB analyzer is a
// stream analyzer: the pipeline reassembles each direction and it frames
// whole NetBIOS messages (a long file write is read from its start and
// the rest passed over), finding the next frame header after a hole. It
// also hands the DCE-RPC a client writes to named pipes (WRITE requests
// and FSCTL_PIPE_TRANSCEIVE IOCTLs: SMB2Message.Data), and what the pipes
// answer (READ and IOCTL responses), to an ics/dcerpc analyzer per pipe,
// joining a PDU cut across several pipe messages, so that a service
// created through \pipe\svcctl is an operation judged like any other,
// with the service's name and program and its answer's status
// (smbflow.go).
//
// Ownership: the input bytes belong to the caller and are never modified or
// kept. FTPCommand.Arg, TFTPPacket's byte fields and the returned rest
// slices alias the input and are valid only as long as the caller's buffer.
// FTPCommand.Verb (upper-cased) and SMB2Message.Path/Name (decoded from
// UTF-16LE to UTF-8) alias fixed buffers inside the caller-owned result
// struct: they stay valid until the next parse into the same struct, and a
// copy of the struct still points into the original. Nothing allocates.
//
// Hostile input: every offset and length is checked against the input
// before use; bad input yields a sentinel error (never a panic or a read
// past len(b)), and where the framing is still known the returned rest lets
// the caller skip the bad message and go on.
//
// Concurrency: all functions are safe to call concurrently on distinct
// result structs; a result struct must not be shared between goroutines
// while it is being filled.
package xfer
