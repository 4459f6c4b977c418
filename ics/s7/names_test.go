package s7

import (
	"reflect"
	"testing"
)

// TestNames checks the name tables against the texts of the
// specifications (and of tshark, for the S7comm ones), including the
// fallbacks for unknown codes.
func TestNames(t *testing.T) {
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"functionName read", functionName(fnReadVar), "Read Var"},
		{"functionName download", functionName(fnRequestDownload), "Request download"},
		{"functionName PI", functionName(fnPIService), "PI-Service"},
		{"functionName unknown", functionName(0x99), "Unknown function"},
		{"functionOp setup", functionOp(fnSetup), "session"},
		{"functionOp upload", functionOp(fnEndUpload), "program-upload"},
		{"functionOp cpu services", functionOp(fnCPUServices), "other"},
		{"userdataName SZL", userdataName(groupCPU, 1), "Read SZL"},
		{"userdataName alarm query", userdataName(groupCPU, 0x13), "ALARM query"},
		{"userdataName unknown CPU", userdataName(groupCPU, 0x77), "CPU functions"},
		{"userdataName block info", userdataName(groupBlock, 3), "Get block info"},
		{"userdataName RDREC", userdataName(groupCyclic, 8), "RDREC"},
		{"userdataName security other", userdataName(groupSecurity, 2), "Security"},
		{"userdataName BSEND", userdataName(groupPBC, 1), "PBC BSEND/BRECV"},
		{"userdataName set clock 4", userdataName(groupTime, 4), "Set clock"},
		{"userdataName NC continue upload", userdataName(groupNC, 8), "Continue upload"},
		{"userdataName unknown group", userdataName(9, 1), "Unknown userdata function"},
		{"userdataOp time other", userdataOp(groupTime, 9, 0, false), "other"},
		{"userdataOp SZL without id", userdataOp(groupCPU, 1, 0, false), "diagnostics"},
		{"userdataOp SZL xy1C", userdataOp(groupCPU, 1, 0x0f1c, true), "identity"},
		{"userdataOp alarm", userdataOp(groupCPU, 0x12, 0, false), "diagnostics"},
		{"userdataOp PBC", userdataOp(groupPBC, 1, 0, false), "other"},
		{"userdataOp NC other", userdataOp(groupNC, 9, 0, false), "other"},
		{"userdataTypeName NC response", userdataTypeName(11), "NC response"},
		{"userdataTypeName unknown", userdataTypeName(1), "unknown"},
		{"modeName RUN", modeName(2), "RUN"},
		{"modeName cold restart", modeName(6), "Cold Restart"},
		{"modeName unknown", modeName(5), "unknown"},
		{"errClassName access", errClassName(0x87), "Access error"},
		{"errClassName unknown", errClassName(0x99), "Unknown error class"},
		{"errorStatus table", errorStatus(0xd602), "Incorrect password entered"},
		{"errorStatus class fallback", errorStatus(0x85ee), "Error on supplies"},
		{"errorStatus unknown", errorStatus(0x99ee), "Unknown error code"},
		{"errorStatus no class", errorStatus(0x00ee), "Unknown error code"},
		{"returnCodeName", returnCodeName(0x05), "Invalid address"},
		{"returnCodeName unknown", returnCodeName(0x42), "Unknown return code"},
		{"areaShort I", areaShort(areaI), "I"},
		{"areaShort unknown", areaShort(0x42), "area 0x42 "},
		{"transportSizeName", transportSizeName(0x0c), "S5TIME"},
		{"transportSizeName unknown", transportSizeName(0x42), "SIZE 0x42"},
		{"blockTypeName SFB", blockTypeName('F'), "SFB"},
		{"blockTypeName unknown", blockTypeName('Z'), "unknown"},
		{"filesystemName both", filesystemName('B'), "active and passive"},
		{"filesystemName unknown", filesystemName('X'), "unknown"},
		{"blockSpecString", blockSpecString([]byte("0E00123P")), "FB123"},
		{"blockSpecString bad number", blockSpecString([]byte("0E0012xP")), "FB?"},
		{"blockName FC", must(blockName([]byte("_0C00012P"))), "FC12"},
		{"blockName OB", must(blockName([]byte("_0800001A"))), "OB1"},
		{"blockName DB", must(blockName([]byte("_0A00100B"))), "DB100"},
		{"blockName SDB zero", must(blockName([]byte("_0B00000A"))), "SDB0"},
		{"blockName SFB", must(blockName([]byte("_0F65535P"))), "SFB65535"},
		{"blockName not a block", must(blockName([]byte("_N_F_XFER"))), "!"},
		{"blockName bad type", must(blockName([]byte("_0Z00012P"))), "!"},
		{"blockName bad number", must(blockName([]byte("_0C0001xP"))), "!"},
		{"blockName short", must(blockName([]byte("_0C0001P"))), "!"},
		{"itoa", itoa(1234567), "1234567"},
		{"itoa zero", itoa(0), "0"},
		{"languageName SCL", languageName(4), "SCL"},
		{"languageName unknown", languageName(0x77), "unknown"},
		{"BlockTypeName SFC", BlockTypeName(0x0d), "SFC"},
		{"BlockTypeName unknown", BlockTypeName(1), ""},
		{"szlName modes", szlName(0x0424), "Modes"},
		{"szlName diag buffer", szlName(0x00a0), "Diagnostic buffer of the CPU"},
		{"szlName unknown", szlName(0x00ee), "Unknown SZL"},
		{"plusVersionName", plusVersionName(2), "V2"},
		{"plusVersionName unknown", plusVersionName(9), "unknown"},
		{"plusOpcodeName", plusOpcodeName(plusResponse2), "Response2"},
		{"plusOpcodeName unknown", plusOpcodeName(9), "unknown"},
		{"plusFunctionName", plusFunctionName(0x059a), "Abort"},
		{"plusFunctionName unknown", plusFunctionName(0x1234), "Unknown function"},
		{"plusFunctionOp error", plusFunctionOp(0x04b1), "other"},
		{"plusErrorName ok", plusErrorName(0), ""},
		{"plusErrorName invalid LID", plusErrorName(-255), "Invalid LID"},
		{"plusErrorName warning", plusErrorName(19), "Warning Service Executed With Partial Error"},
		{"drReasonName", drReasonName(3), "Address unknown"},
		{"drReasonName unknown", drReasonName(200), "Unknown disconnect reason"},
		{"erCauseName", erCauseName(1), "Invalid parameter code"},
		{"erCauseName unknown", erCauseName(9), "Unknown reject cause"},
		{"cotpAbbrev", cotpAbbrev(cotpAK), "AK"},
		{"cotpAbbrev unknown", cotpAbbrev(3), "unknown"},
		{"tsapConnection OP", tsapConnection(2), "OP"},
		{"tsapConnection other", tsapConnection(0x10), "other"},
		{"Kind", KindS7Plus.String(), "s7comm-plus"},
		{"Kind unknown", Kind(0).String(), "unknown"},
		{"framing error text", ErrTPKTLength.Error(), "s7: TPKT length below the 7-octet minimum"},
		{"hex2", hex2(0xab, 4), "0x00ab"},
		{"printable", printable([]byte("A\x01B  \x00")), "A.B"},
		{"text", text([]byte(" CPU 315\x00garbage")), "CPU 315"},
		{"item DB", item{syntax: syntaxS7Any, ts: 0x02, count: 4, db: 7, area: areaDB, addr: 8*12 + 1}.String(), "DB7.DBX12.1 BYTE 4"},
		{"item DI", item{syntax: syntaxS7Any, ts: 0x04, count: 1, db: 3, area: areaDI, addr: 16}.String(), "DI3.DIX2.0 WORD 1"},
		{"item timer", item{syntax: syntaxS7Any, ts: 0x1d, count: 2, area: areaTimer, addr: 5}.String(), "T 5 TIMER 2"},
		{"item other syntax", item{syntax: 0xb0}.String(), "syntax 0xb0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	if b, _ := KindCOTP.MarshalText(); string(b) != "cotp" {
		t.Errorf("MarshalText = %s", b)
	}
	var m Message
	if m.Op() != "other" || m.Name() != "Unknown" || m.Status() != "" || m.Proto() != "s7comm" {
		t.Errorf("zero Message: %s %s %q %s", m.Op(), m.Name(), m.Status(), m.Proto())
	}
}

func TestPLCFilename(t *testing.T) {
	cases := []struct {
		in     string
		bt     string
		number int
		fs     byte
		ok     bool
	}{
		{"_0A00001P", "DB", 1, 'P', true},
		{"_0800123A", "OB", 123, 'A', true},
		{"_0Z00001P", "", 0, 0, false},
		{"_0A0000xP", "", 0, 0, false},
		{"X0A00001P", "", 0, 0, false},
		{"_0A0001P", "", 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			bt, n, fs, ok := plcFilename([]byte(tc.in))
			if bt != tc.bt || n != tc.number || fs != tc.fs || ok != tc.ok {
				t.Errorf("got %q %d %c %v", bt, n, fs, ok)
			}
		})
	}
}

func TestAtoi(t *testing.T) {
	cases := []struct {
		in string
		n  int
		ok bool
	}{{"000216", 216, true}, {"", 0, false}, {"12a", 0, false}, {"1234567890", 0, false}}
	for _, tc := range cases {
		if n, ok := atoi([]byte(tc.in)); n != tc.n || ok != tc.ok {
			t.Errorf("atoi(%q) = %d, %v", tc.in, n, ok)
		}
	}
}

func TestVLQ64(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		v    uint64
		n    int
	}{
		{"zero", []byte{0}, 0, 1},
		{"one octet", []byte{0x7f, 0xff}, 0x7f, 1},
		{"two octets", []byte{0x81, 0x00}, 0x80, 2},
		{"minus 12 as 16 bits", []byte{0x83, 0xff, 0xff, 0x74}, 0x7ffff4, 4},
		{"nine octets", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0xffffffffffffffff, 9},
		{"truncated", []byte{0x80, 0x80}, 0, 0},
		{"empty", nil, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if v, n := vlq64(tc.in); v != tc.v || n != tc.n {
				t.Errorf("vlq64 = %#x, %d; want %#x, %d", v, n, tc.v, tc.n)
			}
		})
	}
}

func TestBCDTime(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
		ok   bool
	}{
		{"snap7 read clock", []byte{0, 0x19, 0x16, 0x02, 0x08, 0x14, 0x51, 0x37, 0x91, 0x62}, "2016-02-08T14:51:37.916", true},
		{"1990s", []byte{0, 0x19, 0x95, 0x07, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01}, "1995-07-01T00:00:00.000", true},
		{"not BCD", []byte{0, 0x19, 0x1a, 0x02, 0x08, 0x14, 0x51, 0x37, 0x91, 0x62}, "", false},
		{"bad millisecond digit", []byte{0, 0x19, 0x16, 0x02, 0x08, 0x14, 0x51, 0x37, 0x91, 0xf2}, "", false},
		{"short", []byte{0, 0x19, 0x16}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if s, ok := bcdTime(tc.in); s != tc.want || ok != tc.ok {
				t.Errorf("bcdTime = %q, %v", s, ok)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	cases := []struct {
		name string
		list []byte
		want map[string]any
	}{
		{"module identification", szlList(0x0011, 0, rec11(1, "6ES7 516-3AN01-0AB0", 3, 0), rec11(7, "", 'V'<<8|2, 9<<8|4)),
			map[string]any{"order_number": "6ES7 516-3AN01-0AB0", "model": "6ES7 516-3AN01-0AB0", "module_version": "3.0",
				"firmware": "V2.9.4", "vendor": "Siemens"}},
		{"firmware without V", szlList(0x0111, 7, rec11(7, "", 0x0102, 0x0304)), map[string]any{}},
		{"order number from hardware record, foreign vendor", szlList(0x0011, 0, rec11(6, "ABC-123", 1, 2)),
			map[string]any{"order_number": "ABC-123", "model": "ABC-123", "hardware_version": "1.2"}},
		{"component identification", szlList(0x001c, 0, rec1C(3, "Berth 4"), rec1C(4, "Original Siemens Equipment"),
			rec1C(7, "CPU 1516-3 PN/DP"), rec1C(8, "SMC 1234"), rec1C(9, "\x01\x00"), rec1C(10, "OEM"), rec1C(11, "STS crane 7")),
			map[string]any{"plant": "Berth 4", "copyright": "Original Siemens Equipment", "module_type": "CPU 1516-3 PN/DP",
				"product": "CPU 1516-3 PN/DP", "memory_card_serial": "SMC 1234", "manufacturer_id": 256, "oem_id": "OEM", "location": "STS crane 7"}},
		{"record too short for xy11", szlList(0x0011, 0, make([]byte, 10)), map[string]any{}},
		{"other list", szlList(0x0424, 0, make([]byte, 20)), map[string]any{}},
		{"record length 0", szlList(0x001c, 0), nil},
		{"too short", []byte{0, 0x1c}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := identity(tc.list); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("identity = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIsStopArg(t *testing.T) {
	for in, want := range map[string]bool{"STOP": true, "stop ": true, "Stop\x00": true, "C ": false, "": false, "STOPP": false} {
		if got := isStopArg([]byte(in)); got != want {
			t.Errorf("isStopArg(%q) = %v", in, got)
		}
	}
}

func TestLookupPI(t *testing.T) {
	for in, want := range map[string]string{"_INSE": "PI-Service _INSE", "_N_F_DELE": "PI-Service _N_F_DELE", "_inse": "", "": ""} {
		i := lookupPI([]byte(in))
		got := ""
		if i >= 0 {
			got = piServices[i].name
		}
		if got != want {
			t.Errorf("lookupPI(%q) = %q", in, got)
		}
	}
}

// must renders a (name, ok) pair for the table: the name, or "!" when not ok.
func must(s string, ok bool) string {
	if !ok {
		return "!"
	}
	return s
}
