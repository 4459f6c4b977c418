package app

import "testing"

func TestNames(t *testing.T) {
	for a := App(1); a < numApps; a++ {
		name := a.String()
		if name == "" {
			t.Errorf("app %d has no name", a)
		}
		back, ok := Parse(name)
		if !ok || back != a {
			t.Errorf("Parse(%q) = %v, %v", name, back, ok)
		}
	}
	for alias, want := range map[string]App{"tls": HTTPS, "cip": ENIP, "s7comm-plus": S7commPlus} {
		if got, ok := Parse(alias); !ok || got != want {
			t.Errorf("Parse(%q) = %v", alias, got)
		}
	}
	for _, bad := range []string{"", "TLS", "tcp/80", "modbus-tcp"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		a         App
		transport string
		port      uint16
		want      string
	}{
		{Modbus, "tcp", 502, "modbus"},
		{Unknown, "tcp", 8443, "tcp/8443"},
		{Unknown, "udp", 47808, "udp/47808"},
		{Unknown, "icmp", 0, "icmp"},
	}
	for _, tt := range tests {
		if got := Name(tt.a, tt.transport, tt.port); got != tt.want {
			t.Errorf("Name(%v, %s, %d) = %q, want %q", tt.a, tt.transport, tt.port, got, tt.want)
		}
	}
}

func TestByPort(t *testing.T) {
	const tcp, udp = 6, 17
	tests := []struct {
		transport uint8
		port      uint16
		want      App
	}{
		{tcp, 102, S7comm}, {tcp, 502, Modbus}, {tcp, 44818, ENIP}, {udp, 2222, ENIP}, {udp, 47808, BACnet}, {tcp, 4840, OPCUA},
		{tcp, 3389, RDP}, {udp, 69, TFTP}, {tcp, 69, Unknown}, {udp, 53, DNS}, {tcp, 9999, Unknown},
	}
	for _, tt := range tests {
		if got := ByPort(tt.transport, tt.port); got != tt.want {
			t.Errorf("ByPort(%d, %d) = %v, want %v", tt.transport, tt.port, got, tt.want)
		}
	}
	if !RDP.RemoteAccess() || Modbus.RemoteAccess() || !TFTP.FileTransfer() || HTTP.FileTransfer() {
		t.Error("RemoteAccess/FileTransfer classes wrong")
	}
}

func TestTransport(t *testing.T) {
	for p, want := range map[uint8]string{6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", 132: "ip/132"} {
		if got := Transport(p); got != want {
			t.Errorf("Transport(%d) = %q, want %q", p, got, want)
		}
	}
}
