package xfer

import (
	"bytes"
	"harborwatch/proto"
	"testing"
)

// inside reports whether s is empty or lies within b.
func inside(b, s []byte) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i+len(s) <= len(b); i++ {
		if &b[i] == &s[0] {
			return true
		}
	}
	return false
}

// tail reports whether rest is empty or a suffix of b (the same memory).
func tail(b, rest []byte) bool {
	return len(rest) == 0 || (len(rest) <= len(b) && &rest[len(rest)-1] == &b[len(b)-1])
}

func FuzzFTP(f *testing.F) {
	f.Add([]byte(ftpSession))
	for _, tc := range ftpCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range ftpReplyCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		var c FTPCommand
		for rest := b; len(rest) > 0; {
			r, err := NextFTPCommand(rest, &c)
			if err == ErrFTPTruncated {
				if r != nil || bytes.IndexByte(rest, '\n') >= 0 {
					t.Fatal("truncated with a line end")
				}
				break
			}
			if !tail(b, r) || len(r) >= len(rest) {
				t.Fatal("rest does not advance inside the input")
			}
			if err == nil {
				if len(c.Verb) < 3 || len(c.Verb) > 4 || !inside(rest, c.Arg) {
					t.Fatalf("verb %q arg %q", c.Verb, c.Arg)
				}
				for _, x := range c.Verb {
					if x < 'A' || x > 'Z' {
						t.Fatalf("verb %q not upper case", c.Verb)
					}
				}
				IsFTPTransferVerb(c.Verb)
			}
			rest = r
		}
		if code, text, ok := FTPReply(b); ok && (code < 100 || code > 559 || !inside(b, text)) {
			t.Fatalf("FTPReply = %d %q", code, text)
		}
	})
}

func FuzzTFTP(f *testing.F) {
	for _, tc := range tftpCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		var p TFTPPacket
		err := ParseTFTP(b, &p)
		probe := ProbeTFTPRequest(b)
		if err != nil {
			if probe || p.Opcode != 0 || p.Filename != nil {
				t.Fatal("error with a result")
			}
			return
		}
		for _, s := range [][]byte{p.Filename, p.Mode, p.ErrMsg, p.Data, p.Options} {
			if !inside(b, s) {
				t.Fatal("field outside the input")
			}
		}
		if probe && (p.Opcode != TFTPRead && p.Opcode != TFTPWrite || len(p.Filename) == 0) {
			t.Fatal("probe accepted a non-request")
		}
		for _, name := range []string{"blksize", "tsize", ""} {
			if v, ok := p.Option(name); ok && !inside(b, v) {
				t.Fatal("option value outside the input")
			}
		}
	})
}

func FuzzSMB2(f *testing.F) {
	for _, tc := range smb2Cases {
		f.Add(tc.in)
	}
	f.Add(nbss(compound(
		createReq(hdr{msgID: 5, treeID: 1}, accessReadWrite, FileOverwriteIf, `firmware\crane_plc_v2.bin`),
		queryInfoReq(hdr{msgID: 6, flags: SMB2FlagRelated}, relatedFID),
		closeReq(hdr{msgID: 7, flags: SMB2FlagRelated}, relatedFID))))
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		ProbeSMB(b)
		var m SMB2Message
		for rest, n := b, 0; len(rest) > 0; n++ {
			r, _ := ParseSMB2(rest, &m)
			if !tail(b, r) || len(r) >= len(rest) {
				t.Fatalf("message %d: rest does not advance inside the input", n)
			}
			if len(m.Path) > smb2NameBuf || len(m.Name) > smb2NameBuf || (m.Path != nil && m.Name != nil) {
				t.Fatal("bad name fields")
			}
			rest = r
		}
	})
}

// FuzzSMBFeed feeds arbitrary payloads to the SMB analyzer from both
// sides, named pipes' DCE-RPC included, twice per flow (the second pass
// sees the binds and calls of the first): no panic.
func FuzzSMBFeed(f *testing.F) {
	fid := [16]byte{7}
	f.Add(nbss(writeReq(4, fid, svcctlBind, uint32(len(svcctlBind)))))
	f.Add(nbss(ioctlReq(5, fsctlPipeTransceive, fid, rpcRequest(2, 15, 24))))
	f.Add(nbss(readRsp(10, statusBufferOverflow, svcctlBind)))
	f.Add(nbss(compound(writeReq(4, fid, svcctlBind, uint32(len(svcctlBind))), writeReq(6, fid, rpcRequest(3, 12, 8), 32))))
	client, server := pipeConversation() // PDUs cut across writes, fragments and an IOCTL answer
	f.Add(client[:min(len(client), 4000)])
	f.Add(server)
	a := SMBSpec.New()
	f.Fuzz(func(t *testing.T, b []byte) {
		fl := a.Open(proto.TCP)
		r := &pipeRec{}
		for i, fromClient := range []bool{true, false, true, false} {
			// As the reassembly offers them: the bytes not consumed, then
			// (second pass) after a gap.
			if i == 2 {
				fl.(proto.Gapped).Gap(true)
				fl.(proto.Gapped).Gap(false)
			}
			n, err := fl.Feed(r, fromClient, b)
			if err != nil || n < 0 || n > len(b) {
				t.Fatalf("%x: consumed %d, %v", b, n, err)
			}
			if m, err := fl.Feed(r, fromClient, b[n:]); err != nil || m > len(b)-n {
				t.Fatalf("%x: consumed %d of the rest, %v", b, m, err)
			}
		}
		a.Close(fl)
	})
}
