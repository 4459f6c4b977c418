package s7

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"testing"

	"harborwatch/event"
)

func c2s(b ...[]byte) step { return step{fromClient: true, b: join(b...)} }
func s2c(b ...[]byte) step { return step{fromClient: false, b: join(b...)} }

// want is the expected classification of one Message.
type want struct {
	op      string
	fn      int
	name    string
	request bool
	status  string
	detail  map[string]any // keys that must be present with these values
}

func check(t *testing.T, got rec, w want) {
	t.Helper()
	if got.malformed {
		t.Errorf("malformed: %s", got.status)
	}
	if got.op != w.op || got.fn != w.fn || got.name != w.name || got.request != w.request || got.status != w.status {
		t.Errorf("got op=%s fn=%#x name=%q request=%v status=%q\nwant op=%s fn=%#x name=%q request=%v status=%q",
			got.op, got.fn, got.name, got.request, got.status, w.op, w.fn, w.name, w.request, w.status)
	}
	for k, v := range w.detail {
		if !reflect.DeepEqual(got.detail[k], v) {
			t.Errorf("detail[%q] = %#v, want %#v", k, got.detail[k], v)
		}
	}
}

// TestOperations classifies every kind of PDU the operation vocabulary
// distinguishes, each built from the specification, with its response.
func TestOperations(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
		want  []want // one per emitted Message, in order
	}{
		{
			name:  "cotp connection request and confirm",
			steps: []step{c2s(cr(0xe0)), s2c(cr(0xd0))},
			want: []want{
				{op: event.OpSession, fn: 0x0e, name: "COTP Connection Request", request: true,
					detail: map[string]any{"cotp": "CR", "src_tsap": "0100", "dst_tsap": "0102", "rack": 0, "slot": 2, "connection_type": "PG", "tpdu_size": 1024}},
				{op: event.OpSession, fn: 0x0d, name: "COTP Connection Confirm"},
			},
		},
		{
			name: "cotp disconnect request refused and confirm",
			steps: []step{
				s2c(tpkt([]byte{6, 0x80, 0, 1, 0, 2, 136})),
				c2s(tpkt([]byte{5, 0xc0, 0, 2, 0, 1})),
				s2c(tpkt([]byte{6, 0x80, 0, 1, 0, 2, 128})),
			},
			want: []want{
				{op: event.OpSession, fn: 0x08, name: "COTP Disconnect Request", request: true,
					status: "Connection request refused on this network connection", detail: map[string]any{"reason_code": 136}},
				{op: event.OpSession, fn: 0x0c, name: "COTP Disconnect Confirm"},
				{op: event.OpSession, fn: 0x08, name: "COTP Disconnect Request", request: true,
					detail: map[string]any{"reason": "Normal disconnect initiated by session entity"}},
			},
		},
		{
			name:  "cotp tpdu error",
			steps: []step{s2c(tpkt([]byte{4, 0x70, 0, 1, 2}))},
			want:  []want{{op: event.OpSession, fn: 0x07, name: "COTP TPDU Error", status: "Invalid TPDU type"}},
		},
		{
			name: "setup communication",
			steps: []step{
				c2s(job(0, []byte{fnSetup, 0, 0, 1, 0, 1, 0x01, 0xe0}, nil)),
				s2c(ackData(0, []byte{fnSetup, 0, 0, 1, 0, 1, 0x00, 0xf0}, nil)),
			},
			want: []want{
				{op: event.OpSession, fn: 0xf0, name: "Setup communication", request: true, detail: map[string]any{"pdu_length": 480, "rosctr": 1}},
				{op: event.OpSession, fn: 0xf0, name: "Setup communication", detail: map[string]any{"pdu_length": 240, "rosctr": 3}},
			},
		},
		{
			name: "read var",
			steps: []step{
				c2s(job(1, join([]byte{fnReadVar, 2}, anyItem(0x02, 4, 1, areaDB, 0), anyItem(0x01, 1, 0, areaQ, 8*4+3)), nil)),
				s2c(ackData(1, []byte{fnReadVar, 2}, []byte{0xff, 0x04, 0, 32, 1, 2, 3, 4, 0x0a, 0, 0, 0})),
			},
			want: []want{
				{op: event.OpRead, fn: 0x04, name: "Read Var", request: true,
					detail: map[string]any{"items": 2, "addresses": []string{"DB1.DBX0.0 BYTE 4", "Q4.3 BIT 1"}}},
				{op: event.OpRead, fn: 0x04, name: "Read Var", status: "Object does not exist", detail: map[string]any{"item_errors": 1}},
			},
		},
		{
			name: "write var",
			steps: []step{
				c2s(job(2, join([]byte{fnWriteVar, 1}, anyItem(0x04, 1, 0, areaM, 8*10)), []byte{0, 0x04, 0, 16, 0xbe, 0xef})),
				s2c(ackData(2, []byte{fnWriteVar, 1}, []byte{0xff})),
			},
			want: []want{
				{op: event.OpWrite, fn: 0x05, name: "Write Var", request: true, detail: map[string]any{"addresses": []string{"M10.0 WORD 1"}, "bytes": 2}},
				{op: event.OpWrite, fn: 0x05, name: "Write Var"},
			},
		},
		{
			name: "write var refused by access error",
			steps: []step{
				c2s(job(3, join([]byte{fnWriteVar, 1}, anyItem(0x02, 1, 5, areaDB, 0)), []byte{0, 0x04, 0, 8, 1, 0})),
				s2c(ackData(3, []byte{fnWriteVar, 1}, []byte{0x03})),
			},
			want: []want{
				{op: event.OpWrite, fn: 0x05, name: "Write Var", request: true},
				{op: event.OpWrite, fn: 0x05, name: "Write Var", status: "Accessing the object not allowed"},
			},
		},
		{
			name: "plc stop",
			steps: []step{
				c2s(job(4, plcStopParam(), nil)),
				s2c(ackData(4, []byte{fnPLCStop}, nil)),
			},
			want: []want{
				{op: event.OpPLCStop, fn: 0x29, name: "PLC Stop", request: true, detail: map[string]any{"pi_service": "P_PROGRAM"}},
				{op: event.OpPLCStop, fn: 0x29, name: "PLC Stop"},
			},
		},
		{
			name: "plc stop refused in protection level",
			steps: []step{
				c2s(job(5, plcStopParam(), nil)),
				s2c(ackErr(5, 0xd2, 0x41)),
			},
			want: []want{
				{op: event.OpPLCStop, fn: 0x29, name: "PLC Stop", request: true},
				{op: event.OpPLCStop, fn: 0x29, name: "PLC Stop", status: "The function is not permitted in the current protection level",
					detail: map[string]any{"rosctr": 2, "func_from_request": true, "error_class": "0xd2"}},
			},
		},
		{
			name: "pi P_PROGRAM hot restart and cold restart",
			steps: []step{
				c2s(job(6, piParam("P_PROGRAM", nil), nil)),
				s2c(ackData(6, []byte{fnPIService}, nil)),
				c2s(job(7, piParam("P_PROGRAM", []byte("C ")), nil)),
			},
			want: []want{
				{op: event.OpPLCStart, fn: 0x28, name: "PI-Service P_PROGRAM", request: true},
				{op: event.OpPLCStart, fn: 0x28, name: "PI-Service P_PROGRAM"},
				{op: event.OpPLCStart, fn: 0x28, name: "PI-Service P_PROGRAM", request: true, detail: map[string]any{"pi_argument": "C"}},
			},
		},
		{
			name: "pi P_PROGRAM with stop argument",
			steps: []step{
				c2s(job(8, piParam("P_PROGRAM", []byte("STOP")), nil)),
				s2c(ackData(8, []byte{fnPIService}, nil)),
			},
			want: []want{
				{op: event.OpPLCStop, fn: 0x28, name: "PI-Service P_PROGRAM", request: true},
				{op: event.OpPLCStop, fn: 0x28, name: "PI-Service P_PROGRAM"},
			},
		},
		{
			name: "pi block insert",
			steps: []step{
				c2s(job(9, piParam("_INSE", []byte("\x02\x000A00001P0C00012P")), nil)),
				s2c(ackData(9, []byte{fnPIService}, nil)),
			},
			want: []want{
				{op: event.OpProgramDownload, fn: 0x28, name: "PI-Service _INSE", request: true, detail: map[string]any{"blocks": []string{"DB1", "FC12"}}},
				{op: event.OpProgramDownload, fn: 0x28, name: "PI-Service _INSE"},
			},
		},
		{
			name: "pi block delete refused",
			steps: []step{
				c2s(job(10, piParam("_DELE", []byte("\x01\x000800001P")), nil)),
				s2c(ackErr(10, 0xd2, 0x09)),
			},
			want: []want{
				{op: event.OpProgramDelete, fn: 0x28, name: "PI-Service _DELE", request: true, detail: map[string]any{"blocks": []string{"OB1"}}},
				{op: event.OpProgramDelete, fn: 0x28, name: "PI-Service _DELE", status: "(At least) one of the given blocks not found on the module"},
			},
		},
		{
			name: "pi copy ram to rom and compress",
			steps: []step{
				c2s(job(11, piParam("_MODU", []byte("EP")), nil)),
				c2s(job(12, piParam("_GARB", nil), nil)),
			},
			want: []want{
				{op: event.OpProgramDownload, fn: 0x28, name: "PI-Service _MODU", request: true},
				{op: event.OpConfigChange, fn: 0x28, name: "PI-Service _GARB", request: true},
			},
		},
		{
			name:  "pi unknown service",
			steps: []step{c2s(job(13, piParam("_N_XYZ", nil), nil))},
			want:  []want{{op: event.OpOther, fn: 0x28, name: "PI-Service", request: true, detail: map[string]any{"pi_service": "_N_XYZ"}}},
		},
		{
			name:  "cpu services",
			steps: []step{c2s(job(14, []byte{fnCPUServices, 0, 0}, nil))},
			want:  []want{{op: event.OpOther, fn: 0x00, name: "CPU services", request: true}},
		},
		{
			name: "read szl module identification",
			steps: []step{
				c2s(udReq(20, 4, groupCPU, 1, szlReq(0x0011, 0))),
				s2c(udResp(20, groupCPU, 1, 0, false, 0, 0xff, szlList(0x0011, 0,
					rec11(1, "6ES7 315-2EH14-0AB0", 4, 1), rec11(6, "6ES7 315-2EH14-0AB0", 4, 1), rec11(7, "", 'V'<<8|3, 2<<8|6)))),
			},
			want: []want{
				{op: event.OpIdentity, fn: 1, name: "Read SZL", request: true, detail: map[string]any{"group": 4, "rosctr": 7, "szl_id": "0x0011"}},
				{op: event.OpIdentity, fn: 1, name: "Read SZL", detail: map[string]any{"identity": map[string]any{
					"order_number": "6ES7 315-2EH14-0AB0", "model": "6ES7 315-2EH14-0AB0", "module_version": "4.1",
					"hardware_version": "4.1", "firmware": "V3.2.6", "vendor": "Siemens"}}},
			},
		},
		{
			name: "read szl component identification, one record",
			steps: []step{
				c2s(udReq(21, 4, groupCPU, 1, szlReq(0x011c, 5))),
				s2c(udResp(21, groupCPU, 1, 0, false, 0, 0xff, szlList(0x011c, 5, rec1C(5, "S C-X4U421302009")))),
			},
			want: []want{
				{op: event.OpIdentity, fn: 1, name: "Read SZL", request: true},
				{op: event.OpIdentity, fn: 1, name: "Read SZL", detail: map[string]any{"identity": map[string]any{"serial": "S C-X4U421302009"}}},
			},
		},
		{
			name: "read szl diagnostic buffer",
			steps: []step{
				c2s(udReq(22, 4, groupCPU, 1, szlReq(0x00a0, 0))),
				s2c(udResp(22, groupCPU, 1, 0, false, 0xd401, 0x0a, nil)),
			},
			want: []want{
				{op: event.OpDiagnostics, fn: 1, name: "Read SZL", request: true, detail: map[string]any{"szl_name": "Diagnostic buffer of the CPU"}},
				{op: event.OpDiagnostics, fn: 1, name: "Read SZL", status: "Information function unavailable", detail: map[string]any{"szl_id": "0x00a0"}},
			},
		},
		{
			name: "block functions",
			steps: []step{
				c2s(udReq(23, 4, groupBlock, 1, nil)),
				s2c(udResp(23, groupBlock, 1, 0, false, 0, 0xff, []byte{0x30, '8', 0, 3, 0x30, 'A', 0, 12})),
				c2s(udReq(24, 4, groupBlock, 2, []byte{0x30, 'A'})),
				c2s(udReq(25, 4, groupBlock, 3, []byte("0C00012A"))),
			},
			want: []want{
				{op: event.OpDiagnostics, fn: 1, name: "List blocks", request: true},
				{op: event.OpDiagnostics, fn: 1, name: "List blocks", detail: map[string]any{"block_counts": map[string]int{"OB": 3, "DB": 12}}},
				{op: event.OpDiagnostics, fn: 2, name: "List blocks of type", request: true, detail: map[string]any{"block_type": "DB"}},
				{op: event.OpDiagnostics, fn: 3, name: "Get block info", request: true, detail: map[string]any{"block": "FC12", "block_number": 12}},
			},
		},
		{
			name: "clock read and set",
			steps: []step{
				c2s(udReq(26, 4, groupTime, 1, nil)),
				s2c(udResp(26, groupTime, 1, 0, false, 0, 0xff, []byte{0, 0x20, 0x24, 0x03, 0x15, 0x10, 0x20, 0x30, 0x12, 0x35})),
				c2s(udReq(27, 4, groupTime, 2, []byte{0, 0x20, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59, 0x99, 0x97})),
			},
			want: []want{
				{op: event.OpRead, fn: 1, name: "Read clock", request: true},
				{op: event.OpRead, fn: 1, name: "Read clock", detail: map[string]any{"clock": "2024-03-15T10:20:30.123"}},
				{op: event.OpConfigChange, fn: 2, name: "Set clock", request: true, detail: map[string]any{"clock": "1999-12-31T23:59:59.999"}},
			},
		},
		{
			name: "plc password wrong",
			steps: []step{
				c2s(udReq(28, 4, groupSecurity, 1, []byte{1, 2, 3, 4, 5, 6, 7, 8})),
				s2c(udResp(28, groupSecurity, 1, 0, false, 0xd602, 0x0a, nil)),
			},
			want: []want{
				{op: event.OpAuth, fn: 1, name: "PLC password", request: true, detail: map[string]any{"password": "present (not shown)"}},
				{op: event.OpAuth, fn: 1, name: "PLC password", status: "Incorrect password entered", detail: map[string]any{"param_error": "0xd602"}},
			},
		},
		{
			name: "programmer commands",
			steps: []step{
				c2s(udReq(29, 4, groupProgrammer, 0x08, []byte{1})),
				c2s(udReq(30, 4, groupProgrammer, 0x09, []byte{1})),
				c2s(udReq(31, 4, groupProgrammer, 0x0c, nil)),
				c2s(udReq(32, 4, groupProgrammer, 0x02, []byte{1})),
				c2s(udReq(33, 4, groupProgrammer, 0x01, []byte{1})),
				c2s(udReq(34, 4, groupProgrammer, 0x16, nil)),
			},
			want: []want{
				{op: event.OpWrite, fn: 0x08, name: "Modify variable", request: true},
				{op: event.OpWrite, fn: 0x09, name: "Force", request: true},
				{op: event.OpProgramDelete, fn: 0x0c, name: "Memory reset", request: true},
				{op: event.OpRead, fn: 0x02, name: "Variable status", request: true},
				{op: event.OpDiagnostics, fn: 0x01, name: "Block status", request: true},
				{op: event.OpOther, fn: 0x16, name: "Flash LED", request: true},
			},
		},
		{
			name: "cyclic services and mode transition push",
			steps: []step{
				c2s(udReq(35, 4, groupCyclic, 1, []byte{1})),
				s2c(udReq(0, 0, groupModeTransition, 0, nil)),
			},
			want: []want{
				{op: event.OpOther, fn: 1, name: "Cyclic transfer", request: true},
				{op: event.OpOther, fn: 0, name: "Mode transition", detail: map[string]any{"mode": "STOP", "userdata_type": "push"}},
			},
		},
		{
			name: "nc programming file transfer",
			steps: []step{
				c2s(udReq(36, 7, groupNC, 1, []byte("x"))),
				c2s(udReq(37, 7, groupNC, 6, []byte("x"))),
			},
			want: []want{
				{op: event.OpProgramDownload, fn: 1, name: "Request download", request: true},
				{op: event.OpProgramUpload, fn: 6, name: "Start upload", request: true},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := feedSteps(t, tc.steps...)
			if len(got) != len(tc.want) {
				t.Fatalf("%d messages, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				check(t, got[i], tc.want[i])
			}
		})
	}
}

// block builds a block in load-memory format: the 36-octet header (ident
// 0x7070, version, attribute, language, type, number, load memory length,
// security, timestamps, section lengths) and a body.
func block(lang, typ byte, number uint16, size int) []byte {
	b := make([]byte, size)
	b[0], b[1], b[2], b[3], b[4], b[5] = 0x70, 0x70, 1, 1, lang, typ
	b[6], b[7] = byte(number>>8), byte(number)
	b[8], b[9], b[10], b[11] = byte(size>>24), byte(size>>16), byte(size>>8), byte(size)
	b[34], b[35] = byte((size-56)>>8), byte(size-56)
	for i := 36; i < size; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// TestDownload follows a block download as an engineering station runs
// it: Request download (client), then the PLC's Download block jobs
// answered with the block contents, Download ended, and the _INSE PI
// service that activates the block.
func TestDownload(t *testing.T) {
	blk := block(0x03, 0x0c, 12, 100) // FC 12 in FUP
	sum := sha256.Sum256(blk)
	const file = "_0C00012P"
	got := feedSteps(t,
		c2s(job(0x0100, fileParam(fnRequestDownload, 0, 0, file, []byte("\x0d1000100000044")), nil)),
		s2c(ackData(0x0100, []byte{fnRequestDownload}, nil)),
		s2c(job(0x0001, fileParam(fnDownloadBlock, 0, 0, file, nil), nil)),
		c2s(ackData(0x0001, []byte{fnDownloadBlock, 1}, blockData(blk[:60]))),
		s2c(job(0x0002, fileParam(fnDownloadBlock, 0, 0, file, nil), nil)),
		c2s(ackData(0x0002, []byte{fnDownloadBlock, 0}, blockData(blk[60:]))),
		s2c(job(0x0003, fileParam(fnDownloadEnded, 0, 0, file, nil), nil)),
		c2s(ackData(0x0003, []byte{fnDownloadEnded}, nil)),
		c2s(job(0x0200, piParam("_INSE", []byte("\x01\x000C00012P")), nil)),
		s2c(ackData(0x0200, []byte{fnPIService}, nil)),
	)
	blockDetail := map[string]any{
		"type": "FC", "number": 12, "filesystem": "passive", "name": "FC12", "block_raw": file,
		"length": 100, "declared_length": 100, "complete": true, "sha256": hex.EncodeToString(sum[:]),
		"language": "FUP", "header_type": "FC", "header_number": 12, "load_memory_length": 100,
		"know_how_protected": false, "mc7_code_length": 44,
	}
	ws := []want{
		{op: event.OpProgramDownload, fn: 0x1a, name: "Request download", request: true,
			detail: map[string]any{"block_name": "FC12", "block_raw": file, "block_type": "FC", "block_number": 12, "block_length": 100, "mc7_length": 44}},
		{op: event.OpProgramDownload, fn: 0x1a, name: "Request download"},
		{op: event.OpProgramDownload, fn: 0x1b, name: "Download block", request: true},
		{op: event.OpProgramDownload, fn: 0x1b, name: "Download block", detail: map[string]any{"chunk_length": 60, "more_data": true}},
		{op: event.OpProgramDownload, fn: 0x1b, name: "Download block", request: true},
		{op: event.OpProgramDownload, fn: 0x1b, name: "Download block", detail: map[string]any{"chunk_length": 40}},
		{op: event.OpProgramDownload, fn: 0x1c, name: "Download ended", request: true, detail: map[string]any{"block": blockDetail}},
		{op: event.OpProgramDownload, fn: 0x1c, name: "Download ended", detail: map[string]any{"block": blockDetail}},
		{op: event.OpProgramDownload, fn: 0x28, name: "PI-Service _INSE", request: true, detail: map[string]any{"blocks": []string{"FC12"}}},
		{op: event.OpProgramDownload, fn: 0x28, name: "PI-Service _INSE"},
	}
	if len(got) != len(ws) {
		t.Fatalf("%d messages, want %d", len(got), len(ws))
	}
	for i := range ws {
		t.Run(ws[i].name, func(t *testing.T) { check(t, got[i], ws[i]) })
	}
	if got[2].fromClient || !got[2].request {
		t.Errorf("Download block job: fromClient=%v request=%v; the PLC sends it as a request", got[2].fromClient, got[2].request)
	}
}

// TestUploadRefused checks that a refused Start upload ends the transfer:
// the End upload that follows carries no block.
func TestUploadRefused(t *testing.T) {
	got := feedSteps(t,
		c2s(job(1, fileParam(fnStartUpload, 0, 0, "_0800001A", nil), nil)),
		s2c(ackErr(1, 0xd2, 0x41)),
		c2s(job(2, fileParam(fnEndUpload, 0, 7, "", nil)[:8], nil)),
	)
	if len(got) != 3 {
		t.Fatalf("%d messages", len(got))
	}
	check(t, got[1], want{op: event.OpProgramUpload, fn: 0x1d, name: "Start upload",
		status: "The function is not permitted in the current protection level"})
	if _, ok := got[2].detail["block"]; ok {
		t.Errorf("End upload after a refused start has a block: %v", got[2].detail)
	}
}

// TestUploadDataRefused checks an upload whose data step the PLC refuses:
// the error is the status, and the End upload's block says refused.
func TestUploadDataRefused(t *testing.T) {
	got := feedSteps(t,
		c2s(job(1, fileParam(fnStartUpload, 0, 0, "_0800001A", nil), nil)),
		s2c(ackData(1, join([]byte{fnStartUpload, 0, 1, 0, 0, 0, 0, 4, 3}, []byte("100")), nil)),
		c2s(job(2, fileParam(fnUpload, 0, 4, "", nil)[:8], nil)),
		s2c(dt(s7(rosctrAckData, 2, 0x84, 0x01, []byte{fnUpload, 0}, nil), true)),
		c2s(job(3, fileParam(fnUpload, 0, 4, "", nil)[:8], nil)),
		s2c(ackData(3, []byte{fnUpload, 0}, nil)),
		c2s(job(4, fileParam(fnEndUpload, 0, 4, "", nil)[:8], nil)),
		c2s(job(5, fileParam(fnEndUpload, 0, 4, "", nil)[:8], nil)),
	)
	if len(got) != 8 {
		t.Fatalf("%d messages", len(got))
	}
	check(t, got[3], want{op: event.OpProgramUpload, fn: 0x1e, name: "Upload", status: "S7 protocol error: Invalid service sequence (for example, loading or uploading a block)"})
	check(t, got[5], want{op: event.OpProgramUpload, fn: 0x1e, name: "Upload"})
	check(t, got[6], want{op: event.OpProgramUpload, fn: 0x1f, name: "End upload", request: true, detail: map[string]any{
		"block": map[string]any{"type": "OB", "number": 1, "filesystem": "active", "name": "OB1", "block_raw": "_0800001A", "length": 0,
			"declared_length": 100, "complete": false, "refused": true,
			"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}})
	if _, ok := got[7].detail["block"]; ok {
		t.Errorf("a second End upload reports the finished block again")
	}
}

// TestUploadInChunks uploads a block in three data units and checks the
// digest of the reassembled contents.
func TestUploadInChunks(t *testing.T) {
	blk := block(0x05, 0x0a, 3, 500) // DB 3
	sum := sha256.Sum256(blk)
	got := feedSteps(t,
		c2s(job(1, fileParam(fnStartUpload, 0, 0, "_0A00003A", nil), nil)),
		s2c(ackData(1, join([]byte{fnStartUpload, 0, 1, 0, 0, 0, 0, 9, 7}, []byte("0000500")), nil)),
		c2s(job(2, fileParam(fnUpload, 0, 9, "", nil)[:8], nil)),
		s2c(ackData(2, []byte{fnUpload, 1}, blockData(blk[:200]))),
		c2s(job(3, fileParam(fnUpload, 0, 9, "", nil)[:8], nil)),
		s2c(ackData(3, []byte{fnUpload, 1}, blockData(blk[200:400]))),
		c2s(job(4, fileParam(fnUpload, 0, 9, "", nil)[:8], nil)),
		s2c(ackData(4, []byte{fnUpload, 0}, blockData(blk[400:]))),
		c2s(job(5, fileParam(fnEndUpload, 0, 9, "", nil)[:8], nil)),
		s2c(ackData(5, []byte{fnEndUpload}, nil)),
	)
	end := got[len(got)-1]
	check(t, end, want{op: event.OpProgramUpload, fn: 0x1f, name: "End upload", detail: map[string]any{
		"block": map[string]any{
			"type": "DB", "number": 3, "filesystem": "active", "name": "DB3", "block_raw": "_0A00003A",
			"length": 500, "declared_length": 500, "complete": true, "sha256": hex.EncodeToString(sum[:]),
			"language": "DB", "header_type": "DB", "header_number": 3, "load_memory_length": 500,
			"know_how_protected": false, "mc7_code_length": 444,
		}}})
	check(t, got[1], want{op: event.OpProgramUpload, fn: 0x1d, name: "Start upload", detail: map[string]any{"upload_id": 9, "block_length": 500}})
}

// TestPlus classifies S7comm-plus functions.
func TestPlus(t *testing.T) {
	const sess = 0x70000e4d
	cases := []struct {
		name string
		pdu  []byte
		fc   bool
		w    want
	}{
		{"GetMultiVariables", plusPDU(3, plusReq(0x054c, 1, sess), false), true, want{op: event.OpRead, fn: 0x054c, name: "GetMultiVariables", request: true,
			detail: map[string]any{"session_id": "0x70000e4d", "integrity": "integrity-protected: payload not inspected", "version": 3, "sequence": 1}}},
		{"Explore", plusPDU(3, plusReq(0x04bb, 2, sess), false), true, want{op: event.OpRead, fn: 0x04bb, name: "Explore", request: true}},
		{"GetVariable", plusPDU(1, plusReq(0x04fc, 3, sess), false), true, want{op: event.OpRead, fn: 0x04fc, name: "GetVariable", request: true,
			detail: map[string]any{"integrity": "payload not inspected", "version_name": "V1"}}},
		{"GetLink", plusPDU(3, plusReq(0x0524, 4, sess), false), true, want{op: event.OpRead, fn: 0x0524, name: "GetLink", request: true}},
		{"SetMultiVariables", plusPDU(3, plusReq(0x0542, 5, sess), false), true, want{op: event.OpWrite, fn: 0x0542, name: "SetMultiVariables", request: true}},
		{"SetVariable", plusPDU(3, plusReq(0x04f2, 6, sess), false), true, want{op: event.OpWrite, fn: 0x04f2, name: "SetVariable", request: true}},
		{"SetVarSubStreamed", plusPDU(3, plusReq(0x057c, 7, sess), false), true, want{op: event.OpWrite, fn: 0x057c, name: "SetVarSubStreamed", request: true}},
		{"CreateObject", plusPDU(3, plusReq(0x04ca, 8, sess), false), true, want{op: event.OpSession, fn: 0x04ca, name: "CreateObject", request: true}},
		{"DeleteObject", plusPDU(2, plusReq(0x04d4, 9, sess), false), true, want{op: event.OpSession, fn: 0x04d4, name: "DeleteObject", request: true}},
		{"Invoke", plusPDU(3, plusReq(0x056b, 10, sess), false), true, want{op: event.OpOther, fn: 0x056b, name: "Invoke", request: true}},
		{"BeginSequence", plusPDU(3, plusReq(0x0556, 11, sess), false), true, want{op: event.OpOther, fn: 0x0556, name: "BeginSequence", request: true}},
		{"EndSequence", plusPDU(3, plusReq(0x0560, 12, sess), false), true, want{op: event.OpOther, fn: 0x0560, name: "EndSequence", request: true}},
		{"GetVarSubStreamed", plusPDU(3, plusReq(0x0586, 13, sess), false), true, want{op: event.OpRead, fn: 0x0586, name: "GetVarSubStreamed", request: true}},
		{"response ok", plusPDU(3, plusResp(0x054c, 1, []byte{0}), false), false, want{op: event.OpRead, fn: 0x054c, name: "GetMultiVariables",
			detail: map[string]any{"return_value": "0x0"}}},
		{"response object not found", plusPDU(3, plusResp(0x04f2, 2, []byte{0x83, 0xff, 0xff, 0x74}), false), false, // -12 as 16 bits: 0xfff4
			want{op: event.OpWrite, fn: 0x04f2, name: "SetVariable", status: "Object not found", detail: map[string]any{"error_code": -12}}},
		{"response unknown error", plusPDU(3, plusResp(0x04f2, 2, []byte{0x05}), false), false,
			want{op: event.OpWrite, fn: 0x04f2, name: "SetVariable", status: "Unknown error code"}},
		{"notification", plusPDU(3, []byte{plusNotification, 0x70, 0, 0x0e, 0x51, 1}, false), false,
			want{op: event.OpOther, fn: 0, name: "Notification", detail: map[string]any{"subscription_id": "0x70000e51"}}},
		{"keep alive", dt([]byte{protoS7Plus, 0xff, 3, 0}, true), false, want{op: event.OpSession, fn: 0, name: "Keep Alive"}},
		{"extended keep alive", dt(append([]byte{protoS7Plus, 0xfe, 0, 16}, make([]byte, 16)...), true), true,
			want{op: event.OpSession, fn: 0, name: "Extended Keep Alive"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := feedSteps(t, step{fromClient: tc.fc, b: tc.pdu})
			if len(got) != 1 {
				t.Fatalf("%d messages", len(got))
			}
			if got[0].kind != KindS7Plus {
				t.Errorf("kind %v", got[0].kind)
			}
			check(t, got[0], tc.w)
		})
	}
}

// TestPlusFragments checks that a PDU split without trailer is emitted
// once, from its first fragment, and that the next PDU decodes.
func TestPlusFragments(t *testing.T) {
	first := plusPDU(3, plusReq(0x0542, 1, 1), true)
	inner := dt(append([]byte{protoS7Plus, 3, 0, 3}, 1, 2, 3), true)
	last := dt(append([]byte{protoS7Plus, 3, 0, 3}, 4, 5, 6, protoS7Plus, 3, 0, 0), true)
	next := plusPDU(3, plusReq(0x054c, 2, 1), false)
	got := feedSteps(t, c2s(first, inner, last, next))
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2", len(got))
	}
	check(t, got[0], want{op: event.OpWrite, fn: 0x0542, name: "SetMultiVariables", request: true, detail: map[string]any{"fragmented": true}})
	check(t, got[1], want{op: event.OpRead, fn: 0x054c, name: "GetMultiVariables", request: true})
}
