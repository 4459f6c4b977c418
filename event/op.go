package event

// Operations: what an ICS request does to a device, in the vocabulary the
// site model's conduits (`operations:`) and the findings use. Analyzers
// classify every PDU into one of these.
const (
	OpRead            = "read"
	OpWrite           = "write"
	OpProgramDownload = "program-download"
	OpProgramUpload   = "program-upload"
	OpProgramDelete   = "program-delete"
	OpPLCStop         = "plc-stop"
	OpPLCStart        = "plc-start"
	OpFirmwareUpdate  = "firmware-update"
	OpConfigChange    = "config-change"
	OpIdentity        = "identity"
	OpDiagnostics     = "diagnostics"
	OpAuth            = "auth"
	OpSession         = "session"
	OpIO              = "io"
	OpOther           = "other"
)

// Ops lists every operation, in the order above.
var Ops = []string{OpRead, OpWrite, OpProgramDownload, OpProgramUpload, OpProgramDelete,
	OpPLCStop, OpPLCStart, OpFirmwareUpdate, OpConfigChange, OpIdentity, OpDiagnostics,
	OpAuth, OpSession, OpIO, OpOther}

// OpBit returns a bit standing for op in a set of operations (bit i for
// Ops[i]); 0 for a string that is not an operation. Sets of operations
// are kept per flow and per host as a uint32.
func OpBit(op string) uint32 {
	switch op {
	case OpRead:
		return 1 << 0
	case OpWrite:
		return 1 << 1
	case OpProgramDownload:
		return 1 << 2
	case OpProgramUpload:
		return 1 << 3
	case OpProgramDelete:
		return 1 << 4
	case OpPLCStop:
		return 1 << 5
	case OpPLCStart:
		return 1 << 6
	case OpFirmwareUpdate:
		return 1 << 7
	case OpConfigChange:
		return 1 << 8
	case OpIdentity:
		return 1 << 9
	case OpDiagnostics:
		return 1 << 10
	case OpAuth:
		return 1 << 11
	case OpSession:
		return 1 << 12
	case OpIO:
		return 1 << 13
	case OpOther:
		return 1 << 14
	}
	return 0
}

// OpsOf lists the operations in a set made with OpBit, in Ops order.
func OpsOf(set uint32) []string {
	var out []string
	for i, op := range Ops {
		if set&(1<<i) != 0 {
			out = append(out, op)
		}
	}
	return out
}
