package xfer

import (
	"testing"

	"harborwatch/internal/testutil"
)

// TestRealS7Capture runs every parser and probe over the TCP payloads of a
// real S7comm session: none of them may take it for a file transfer.
func TestRealS7Capture(t *testing.T) {
	ps := testutil.Payloads(t, "testdata/s7ident.pcap")
	if len(ps) != 24 {
		t.Fatalf("%d payloads, want 24", len(ps))
	}
	var (
		c FTPCommand
		p TFTPPacket
		m SMB2Message
	)
	for i, pl := range ps {
		b := pl.Data
		if v, ok := ProbeSMB(b); ok {
			t.Errorf("payload %d: SMB%d", i, v)
		}
		if _, err := ParseSMB2(b, &m); err != ErrNetBIOS {
			t.Errorf("payload %d: ParseSMB2 = %v, want ErrNetBIOS (TPKT version 3 is no NetBIOS type)", i, err)
		}
		if ProbeTFTPRequest(b) {
			t.Errorf("payload %d: TFTP request", i)
		}
		if err := ParseTFTP(b, &p); err != ErrTFTPOpcode {
			t.Errorf("payload %d: ParseTFTP = %v, want ErrTFTPOpcode", i, err)
		}
		if _, _, ok := FTPReply(b); ok {
			t.Errorf("payload %d: FTP reply", i)
		}
		if _, err := NextFTPCommand(b, &c); err == nil {
			t.Errorf("payload %d: FTP command %q", i, c.Verb)
		}
	}
}
