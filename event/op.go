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
