package xfer

import "testing"

// TestAllocs proves the per-payload path allocates nothing.
func TestAllocs(t *testing.T) {
	session := []byte(ftpSession)
	reply := []byte("220 (vsFTPd 3.0.3)\r\n")
	smb := append(nbss(compound(
		createReq(hdr{msgID: 5, treeID: 1}, accessReadWrite, FileOverwriteIf, `firmware\crane_plc_v2.bin`),
		queryInfoReq(hdr{msgID: 6, flags: SMB2FlagRelated}, relatedFID),
		closeReq(hdr{msgID: 7, flags: SMB2FlagRelated}, relatedFID))),
		nbss(treeConnectReq(4, sess, `\\10.20.1.5\PLC_BACKUP`))...)
	var c FTPCommand
	var p TFTPPacket
	var m SMB2Message
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"ftp commands", func() {
			for b := session; len(b) > 0; {
				r, err := NextFTPCommand(b, &c)
				if err != nil {
					t.Fatal(err)
				}
				IsFTPTransferVerb(c.Verb)
				b = r
			}
		}},
		{"ftp reply", func() { FTPReply(reply) }},
		{"tftp", func() {
			if ParseTFTP(tftpWRQ, &p) != nil {
				t.Fatal("parse failed")
			}
			p.Option("tsize")
		}},
		{"tftp probe", func() { ProbeTFTPRequest(tftpWRQ) }},
		{"smb2", func() {
			for b := smb; len(b) > 0; {
				r, err := ParseSMB2(b, &m)
				if err != nil {
					t.Fatal(err)
				}
				b = r
			}
		}},
		{"smb probe", func() { ProbeSMB(smb) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	session := []byte(ftpSession)
	smb := nbss(createReq(hdr{msgID: 5, treeID: 1}, accessReadWrite, FileOverwriteIf, `firmware\crane_plc_v2.bin`))
	b.Run("ftp", func(b *testing.B) {
		var c FTPCommand
		b.ReportAllocs()
		b.SetBytes(int64(len(session)))
		for b.Loop() {
			for p := session; len(p) > 0; {
				p, _ = NextFTPCommand(p, &c)
			}
		}
	})
	b.Run("tftp", func(b *testing.B) {
		var p TFTPPacket
		b.ReportAllocs()
		b.SetBytes(int64(len(tftpWRQ)))
		for b.Loop() {
			_ = ParseTFTP(tftpWRQ, &p)
		}
	})
	b.Run("smb2", func(b *testing.B) {
		var m SMB2Message
		b.ReportAllocs()
		b.SetBytes(int64(len(smb)))
		for b.Loop() {
			_, _ = ParseSMB2(smb, &m)
		}
	})
	b.Run("probes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ProbeSMB(smb)
			ProbeTFTPRequest(tftpWRQ)
			FTPReply(session)
		}
	})
}
