package pipeline

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/site"
)

// expectRun writes the sessions gen schedules into a capture and analyzes
// it with identifySite, with events; it returns "rule app count" per
// finding, sorted, the event protocols and ops, and the result.
func expectRun(t *testing.T, workers int, gen func(b *synth.Builder)) ([]string, []string, *Result) {
	t.Helper()
	st, err := site.Parse("identify.yaml", []byte(identifySite))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	gen(b)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	res := runBytes(t, buf.Bytes(), "expect.pcap", Options{Site: st, Workers: workers, Events: true})
	var fs, evs []string
	for _, f := range res.Findings {
		fs = append(fs, fmt.Sprintf("%s %s %d", f.Rule, f.App, f.Count))
	}
	for _, e := range res.Events {
		evs = append(evs, e.Proto+" "+e.Op)
	}
	slices.Sort(fs)
	return fs, evs, res
}

func ftpLogin(b *synth.Builder, c, s synth.Host, cport uint16, more ...synth.Exchange) {
	cl := func(d []byte) synth.Exchange { return synth.Exchange{Data: d} }
	sv := func(d []byte) synth.Exchange { return synth.Exchange{Data: d, FromServer: true} }
	ex := []synth.Exchange{
		sv(synth.FTPReply(220, "FTP server ready.")),
		cl(synth.FTPCommand("USER", "engineer")),
		sv(synth.FTPReply(331, "Password required.")),
		cl(synth.FTPCommand("PASS", "Crane2019!")),
		sv(synth.FTPReply(230, "Logged in.")),
		cl(synth.FTPCommand("NOOP", "")),
		sv(synth.FTPReply(200, "NOOP ok.")),
	}
	b.TCPSession(c, s, cport, 21, append(ex, more...)...)
}

// TestExpectNotPair: an FTP session between two hosts announces no data
// flow unless it names one (from a business host, which may not stop a
// controller), so a PLC stop or an SSH session between the
// same hosts right after it is analyzed as what it is.
func TestExpectNotPair(t *testing.T) {
	cl := func(d []byte) synth.Exchange { return synth.Exchange{Data: d} }
	sv := func(d []byte) synth.Exchange { return synth.Exchange{Data: d, FromServer: true} }
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("s7/workers=%d", workers), func(t *testing.T) {
			fs, evs, _ := expectRun(t, workers, func(b *synth.Builder) {
				ftpLogin(b, hBiz, hPLC, 40001)
				b.Advance(2 * time.Second)
				b.TCPSession(hBiz, hPLC, 40002, 102,
					cl(synth.COTPConnectRequest(1, synth.S7TSAPClient, synth.S7TSAPPLC)), sv(synth.COTPConnectConfirm(1, 2, synth.S7TSAPClient, synth.S7TSAPPLC)),
					cl(synth.S7SetupCommunication(1, 480)), sv(synth.S7SetupCommunicationAck(1, 480)),
					cl(synth.S7PLCStop(2)), sv(synth.S7PLCStopAck(2)))
			})
			if !slices.Contains(fs, "ics.plc-stop s7comm 1") {
				t.Errorf("findings %q lack ics.plc-stop s7comm", fs)
			}
			if !slices.ContainsFunc(evs, func(e string) bool { return e == "s7comm plc-stop" }) {
				t.Errorf("events %q lack the S7 PLC stop", evs)
			}
		})
		t.Run(fmt.Sprintf("ssh/workers=%d", workers), func(t *testing.T) {
			fs, _, _ := expectRun(t, workers, func(b *synth.Builder) {
				ftpLogin(b, hEWS, hPLC, 40001)
				b.Advance(2 * time.Second)
				b.TCPSession(hEWS, hPLC, 40003, 22, sv(synth.SSHBanner("dropbear_2022.83")), cl(synth.SSHBanner("OpenSSH_9.2")))
			})
			if !slices.Contains(fs, "remote-access.unmanaged ssh 1") {
				t.Errorf("findings %q lack remote-access.unmanaged ssh", fs)
			}
		})
	}
}

// TestExpectData: the data connections an FTP session announces (PORT,
// EPRT, PASV, EPSV) and a TFTP transfer's answer are joined to the
// control flow's finding; a connection to a port never announced, or a
// second one to a port announced once, or one after the announcement
// expired, is not; a flow to the announced port that a probe is sure is
// another protocol (S7) is analyzed as that one.
func TestExpectData(t *testing.T) {
	cl := func(d []byte) synth.Exchange { return synth.Exchange{Data: d} }
	sv := func(d []byte) synth.Exchange { return synth.Exchange{Data: d, FromServer: true} }
	file := []byte("twistlock.a.torque_limit=900\n")
	stor := []synth.Exchange{cl(synth.FTPCommand("STOR", "spreader.cfg")), sv(synth.FTPReply(150, "Opening."))}
	tests := []struct {
		name string
		gen  func(b *synth.Builder)
		want []string
	}{
		{"pasv", func(b *synth.Builder) {
			ftpLogin(b, hEWS, hPLC, 40001, append([]synth.Exchange{cl(synth.FTPCommand("PASV", "")), sv(synth.FTPPassive(hPLC.IP, 50210))}, stor...)...)
			b.Advance(time.Second)
			b.TCPSession(hEWS, hPLC, 40002, 50210, cl(file))
		}, []string{"file-transfer.insecure ftp 2"}},
		{"epsv", func(b *synth.Builder) {
			ftpLogin(b, hEWS, hPLC, 40001, append([]synth.Exchange{cl(synth.FTPCommand("EPSV", "")), sv(synth.FTPReply(229, "Entering Extended Passive Mode (|||50211|)"))}, stor...)...)
			b.Advance(time.Second)
			b.TCPSession(hEWS, hPLC, 40002, 50211, cl(file))
		}, []string{"file-transfer.insecure ftp 2"}},
		{"port", func(b *synth.Builder) {
			ftpLogin(b, hEWS, hPLC, 40001, append([]synth.Exchange{cl(synth.FTPCommand("PORT", "10,10,9,20,156,69")), sv(synth.FTPReply(200, "PORT ok."))}, stor...)...)
			b.Advance(time.Second)
			b.TCPSession(hPLC, hEWS, 20, 40005, sv(file)) // 156*256+69
		}, []string{"file-transfer.insecure ftp 2"}},
		{"eprt", func(b *synth.Builder) {
			ftpLogin(b, hEWS, hPLC, 40001, append([]synth.Exchange{cl(synth.FTPCommand("EPRT", "|1|10.10.9.20|40006|")), sv(synth.FTPReply(200, "EPRT ok."))}, stor...)...)
			b.Advance(time.Second)
			b.TCPSession(hPLC, hEWS, 41000, 40006, sv(file))
		}, []string{"file-transfer.insecure ftp 2"}},
		{"another port", func(b *synth.Builder) {
			ftpLogin(b, hEWS, hPLC, 40001, append([]synth.Exchange{cl(synth.FTPCommand("PASV", "")), sv(synth.FTPPassive(hPLC.IP, 50210))}, stor...)...)
			b.Advance(time.Second)
			b.TCPSession(hEWS, hPLC, 40002, 50212, cl(file))
		}, []string{"file-transfer.insecure ftp 1"}},
		{"used once", func(b *synth.Builder) {
			ftpLogin(b, hEWS, hPLC, 40001, append([]synth.Exchange{cl(synth.FTPCommand("PASV", "")), sv(synth.FTPPassive(hPLC.IP, 50210))}, stor...)...)
			b.Advance(time.Second)
			b.TCPSession(hEWS, hPLC, 40002, 50210, cl(file))
			b.Advance(time.Second)
			b.TCPSession(hEWS, hPLC, 40003, 50210, cl(file))
		}, []string{"file-transfer.insecure ftp 2"}},
		{"too late", func(b *synth.Builder) {
			ftpLogin(b, hEWS, hPLC, 40001, append([]synth.Exchange{cl(synth.FTPCommand("PASV", "")), sv(synth.FTPPassive(hPLC.IP, 50210))}, stor...)...)
			b.Advance(2 * time.Minute)
			b.TCPSession(hEWS, hPLC, 40002, 50210, cl(file))
		}, []string{"file-transfer.insecure ftp 1"}},
		{"s7 to the announced port", func(b *synth.Builder) {
			ftpLogin(b, hBiz, hPLC, 40001, cl(synth.FTPCommand("PASV", "")), sv(synth.FTPPassive(hPLC.IP, 102)))
			b.Advance(time.Second)
			b.TCPSession(hBiz, hPLC, 40002, 102,
				cl(synth.COTPConnectRequest(1, synth.S7TSAPClient, synth.S7TSAPPLC)), sv(synth.COTPConnectConfirm(1, 2, synth.S7TSAPClient, synth.S7TSAPPLC)),
				cl(synth.S7SetupCommunication(1, 480)), sv(synth.S7SetupCommunicationAck(1, 480)),
				cl(synth.S7PLCStop(2)), sv(synth.S7PLCStopAck(2)))
		}, []string{"file-transfer.insecure ftp 1", "ics.plc-stop s7comm 1"}},
		{"tftp", func(b *synth.Builder) {
			b.UDP(hEWS, hPLC, 40000, 69, cl(synth.TFTPRequest(synth.TFTPWrite, "fw.bin", "octet")))
			b.Advance(100 * time.Millisecond)
			b.UDP(hPLC, hEWS, 50000, 40000, cl(synth.TFTPAck(0)), sv(synth.TFTPData(1, file)), cl(synth.TFTPAck(1)))
		}, []string{"file-transfer.insecure tftp 2"}},
		{"tftp another client port", func(b *synth.Builder) {
			b.UDP(hEWS, hPLC, 40000, 69, cl(synth.TFTPRequest(synth.TFTPWrite, "fw.bin", "octet")))
			b.Advance(100 * time.Millisecond)
			b.UDP(hPLC, hEWS, 50000, 40001, cl(synth.TFTPAck(0)), sv(synth.TFTPData(1, file)), cl(synth.TFTPAck(1)))
		}, []string{"file-transfer.insecure tftp 1"}},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/workers=%d", tt.name, workers), func(t *testing.T) {
				fs, _, res := expectRun(t, workers, tt.gen)
				var got []string
				for _, f := range fs {
					if f[:len("file-transfer")] == "file-transfer" || f[:4] == "ics." {
						got = append(got, f)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("findings %q (all: %q), want %q", got, fs, tt.want)
				}
				if res.Stats.ExpectDropped != 0 {
					t.Errorf("%d announcements dropped", res.Stats.ExpectDropped)
				}
			})
		}
	}
}

// TestExpectBound: the live announcements are bounded (maxExpect per
// worker); one more is dropped and counted, and its data flow is not
// joined.
func TestExpectBound(t *testing.T) {
	cl := func(d []byte) synth.Exchange { return synth.Exchange{Data: d} }
	sv := func(d []byte) synth.Exchange { return synth.Exchange{Data: d, FromServer: true} }
	var ex []synth.Exchange
	for i := range maxExpect + 1 {
		ex = append(ex, cl(synth.FTPCommand("PASV", "")), sv(synth.FTPPassive(hPLC.IP, uint16(10000+i))))
	}
	file := []byte("twistlock.a.torque_limit=900\n")
	fs, _, res := expectRun(t, 1, func(b *synth.Builder) {
		ftpLogin(b, hEWS, hPLC, 40001, ex...)
		b.Advance(5 * time.Second)
		b.TCPSession(hEWS, hPLC, 40002, 10000, cl(file))           // announced
		b.TCPSession(hEWS, hPLC, 40003, 10000+maxExpect, cl(file)) // dropped
	})
	if res.Stats.ExpectDropped != 1 {
		t.Errorf("%d announcements dropped, want 1", res.Stats.ExpectDropped)
	}
	if !slices.Contains(fs, "file-transfer.insecure ftp 2") {
		t.Errorf("findings %q, want the control flow and one data flow joined", fs)
	}
}

// TestExpectSameProtocol: a flow to an announced endpoint that a probe is
// sure of is that protocol's flow like any other, even of the announcing
// protocol: a second FTP control connection to a port 21 a 227 named is
// a control connection, counted by the analyzer, not a data flow.
func TestExpectSameProtocol(t *testing.T) {
	cl := func(d []byte) synth.Exchange { return synth.Exchange{Data: d} }
	sv := func(d []byte) synth.Exchange { return synth.Exchange{Data: d, FromServer: true} }
	_, _, res := expectRun(t, 1, func(b *synth.Builder) {
		ftpLogin(b, hEWS, hPLC, 40001, cl(synth.FTPCommand("PASV", "")), sv(synth.FTPPassive(hPLC.IP, 21)))
		b.Advance(time.Second)
		ftpLogin(b, hEWS, hPLC, 40002)
	})
	if a := res.Stats.Analyzers["ftp"]; a.Confirmed != 2 {
		t.Errorf("ftp analyzer %+v, want both control connections confirmed", a)
	}
}
