package dcerpc

import "harborwatch/event"

// UUID is an interface UUID in its canonical (big-endian) byte order.
type UUID [16]byte

// String formats u as 8-4-4-4-12 lower-case hex. It allocates.
func (u UUID) String() string {
	const hx = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hx[c>>4], hx[c&15]
		j += 2
	}
	return string(b[:])
}

// mustUUID parses a canonical UUID of the tables below.
func mustUUID(s string) UUID {
	var u UUID
	j := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		u[j/2] |= unhex(s[i]) << (4 * (1 - j%2))
		j++
	}
	if j != 32 {
		panic("dcerpc: bad UUID in table: " + s)
	}
	return u
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	panic("dcerpc: bad hex digit in table")
}

// method is one opnum of an interface: its event name and operation.
type method struct {
	name string // "IOPCSyncIO.Read"; "" when not named
	op   string
}

// Iface is a well-known interface: its name and methods by opnum.
type Iface struct {
	UUID UUID
	Name string
	// op is the operation of an opnum the table does not name.
	op      string
	methods []method
}

// unknownIface is the index of "no known interface".
const unknownIface = 0

// Interface indexes of the table, where the analyzer needs them.
const (
	ifEPM = iota + 1
	ifActivator
	ifOldActivation
	ifOXID
)

// ms builds a method list: names from opnum base on, with their ops.
func ms(iface string, base int, pairs ...string) []method {
	out := make([]method, base+len(pairs)/2)
	for i := range base {
		out[i] = method{op: event.OpOther}
	}
	unk := [...]string{"QueryInterface", "AddRef", "Release"}
	if base == 3 {
		for i, n := range unk {
			out[i].name = iface + "." + n
		}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[base+i/2] = method{name: iface + "." + pairs[i], op: pairs[i+1]}
	}
	return out
}

const (
	rd  = event.OpRead
	wr  = event.OpWrite
	cfg = event.OpConfigChange
	idn = event.OpIdentity
	dia = event.OpDiagnostics
	ses = event.OpSession
	oth = event.OpOther
)

// ifaces lists the well-known interfaces. UUIDs: MS-RPCE/C706 (endpoint
// mapper), MS-DCOM (activation, OXID resolver, IRemUnknown), the OPC
// Foundation's opcda.idl, opc_ae.idl and opchda.idl, MS-WMI.
var ifaces = []Iface{
	unknownIface: {},
	ifEPM: {UUID: mustUUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), Name: "EPM", op: idn, methods: ms("EPM", 0,
		"ept_insert", cfg, "ept_delete", cfg, "ept_lookup", idn, "ept_map", idn,
		"ept_lookup_handle_free", idn, "ept_inq_object", idn, "ept_mgmt_delete", cfg)},
	ifActivator: {UUID: mustUUID("000001a0-0000-0000-c000-000000000046"), Name: "ISystemActivator", op: oth, methods: ms("ISystemActivator", 3,
		"RemoteGetClassObject", oth, "RemoteCreateInstance", oth)},
	ifOldActivation: {UUID: mustUUID("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57"), Name: "IActivation", op: oth, methods: ms("IActivation", 0,
		"RemoteActivation", oth)},
	ifOXID: {UUID: mustUUID("99fcfec4-5260-101b-bbcb-00aa0021347a"), Name: "IOXIDResolver", op: oth, methods: ms("IOXIDResolver", 0,
		"ResolveOxid", idn, "SimplePing", ses, "ComplexPing", ses, "ServerAlive", dia, "ResolveOxid2", idn, "ServerAlive2", dia)},
	{UUID: mustUUID("00000131-0000-0000-c000-000000000046"), Name: "IRemUnknown", op: oth, methods: ms("IRemUnknown", 3,
		"RemQueryInterface", oth, "RemAddRef", oth, "RemRelease", oth)},
	{UUID: mustUUID("00000143-0000-0000-c000-000000000046"), Name: "IRemUnknown2", op: oth, methods: ms("IRemUnknown2", 3,
		"RemQueryInterface", oth, "RemAddRef", oth, "RemRelease", oth, "RemQueryInterface2", oth)},
	{UUID: mustUUID("b196b284-bab4-101a-b69c-00aa00341d07"), Name: "IConnectionPointContainer", op: oth, methods: ms("IConnectionPointContainer", 3,
		"EnumConnectionPoints", oth, "FindConnectionPoint", oth)},
	{UUID: mustUUID("b196b286-bab4-101a-b69c-00aa00341d07"), Name: "IConnectionPoint", op: oth, methods: ms("IConnectionPoint", 3,
		"GetConnectionInterface", oth, "GetConnectionPointContainer", oth, "Advise", oth, "Unadvise", oth, "EnumConnections", oth)},
	{UUID: mustUUID("0002e000-0000-0000-c000-000000000046"), Name: "IEnumGUID", op: oth, methods: ms("IEnumGUID", 3,
		"Next", oth, "Skip", oth, "Reset", oth, "Clone", oth)},
	// OPC DA (opcda.idl).
	{UUID: mustUUID("39c13a4d-011e-11d0-9675-0020afd8adb3"), Name: "IOPCServer", op: oth, methods: ms("IOPCServer", 3,
		"AddGroup", cfg, "GetErrorString", oth, "GetGroupByName", oth, "GetStatus", dia, "RemoveGroup", cfg, "CreateGroupEnumerator", oth)},
	{UUID: mustUUID("39c13a4e-011e-11d0-9675-0020afd8adb3"), Name: "IOPCServerPublicGroups", op: oth, methods: ms("IOPCServerPublicGroups", 3,
		"GetPublicGroupByName", oth, "RemovePublicGroup", cfg)},
	{UUID: mustUUID("39c13a4f-011e-11d0-9675-0020afd8adb3"), Name: "IOPCBrowseServerAddressSpace", op: oth, methods: ms("IOPCBrowseServerAddressSpace", 3,
		"QueryOrganization", oth, "ChangeBrowsePosition", oth, "BrowseOPCItemIDs", oth, "GetItemID", oth, "BrowseAccessPaths", oth)},
	{UUID: mustUUID("39c13a50-011e-11d0-9675-0020afd8adb3"), Name: "IOPCGroupStateMgt", op: oth, methods: ms("IOPCGroupStateMgt", 3,
		"GetState", oth, "SetState", cfg, "SetName", cfg, "CloneGroup", cfg)},
	{UUID: mustUUID("39c13a51-011e-11d0-9675-0020afd8adb3"), Name: "IOPCPublicGroupStateMgt", op: oth, methods: ms("IOPCPublicGroupStateMgt", 3,
		"GetState", oth, "MoveToPublic", cfg)},
	{UUID: mustUUID("39c13a52-011e-11d0-9675-0020afd8adb3"), Name: "IOPCSyncIO", op: oth, methods: ms("IOPCSyncIO", 3,
		"Read", rd, "Write", wr)},
	{UUID: mustUUID("39c13a53-011e-11d0-9675-0020afd8adb3"), Name: "IOPCAsyncIO", op: oth, methods: ms("IOPCAsyncIO", 3,
		"Read", rd, "Write", wr, "Refresh", rd, "Cancel", oth)},
	{UUID: mustUUID("39c13a54-011e-11d0-9675-0020afd8adb3"), Name: "IOPCItemMgt", op: oth, methods: ms("IOPCItemMgt", 3,
		"AddItems", cfg, "ValidateItems", oth, "RemoveItems", cfg, "SetActiveState", cfg, "SetClientHandles", cfg, "SetDatatypes", cfg, "CreateEnumerator", oth)},
	{UUID: mustUUID("39c13a55-011e-11d0-9675-0020afd8adb3"), Name: "IEnumOPCItemAttributes", op: oth, methods: ms("IEnumOPCItemAttributes", 3,
		"Next", oth, "Skip", oth, "Reset", oth, "Clone", oth)},
	{UUID: mustUUID("39c13a70-011e-11d0-9675-0020afd8adb3"), Name: "IOPCDataCallback", op: oth, methods: ms("IOPCDataCallback", 3,
		"OnDataChange", rd, "OnReadComplete", rd, "OnWriteComplete", oth, "OnCancelComplete", oth)},
	{UUID: mustUUID("39c13a71-011e-11d0-9675-0020afd8adb3"), Name: "IOPCAsyncIO2", op: oth, methods: ms("IOPCAsyncIO2", 3,
		"Read", rd, "Write", wr, "Refresh2", rd, "Cancel2", oth, "SetEnable", cfg, "GetEnable", oth)},
	{UUID: mustUUID("39c13a72-011e-11d0-9675-0020afd8adb3"), Name: "IOPCItemProperties", op: oth, methods: ms("IOPCItemProperties", 3,
		"QueryAvailableProperties", rd, "GetItemProperties", rd, "LookupItemIDs", rd)},
	// OPC Alarms & Events (opc_ae.idl).
	{UUID: mustUUID("65168851-5783-11d1-84a0-00608cb8a7e9"), Name: "IOPCEventServer", op: oth, methods: ms("IOPCEventServer", 3,
		"GetStatus", dia, "CreateEventSubscription", oth, "QueryAvailableFilters", oth, "QueryEventCategories", oth,
		"QueryConditionNames", oth, "QuerySubConditionNames", oth, "QuerySourceConditions", oth, "QueryEventAttributes", oth,
		"TranslateToItemIDs", oth, "GetConditionState", rd, "EnableConditionByArea", cfg, "EnableConditionBySource", cfg,
		"DisableConditionByArea", cfg, "DisableConditionBySource", cfg, "AckCondition", oth, "CreateAreaBrowser", oth)},
	{UUID: mustUUID("65168855-5783-11d1-84a0-00608cb8a7e9"), Name: "IOPCEventSubscriptionMgt", op: oth, methods: ms("IOPCEventSubscriptionMgt", 3,
		"SetFilter", cfg, "GetFilter", oth, "SelectReturnedAttributes", cfg, "GetReturnedAttributes", oth, "Refresh", rd,
		"CancelRefresh", oth, "GetState", oth, "SetState", cfg)},
	{UUID: mustUUID("6516885f-5783-11d1-84a0-00608cb8a7e9"), Name: "IOPCEventSink", op: oth, methods: ms("IOPCEventSink", 3,
		"OnEvent", rd)},
	// OPC Historical Data Access (opchda.idl): methods not named.
	{UUID: mustUUID("1f1217b0-dee0-11d2-a5e5-000086339399"), Name: "IOPCHDA_Server", op: oth},
	{UUID: mustUUID("1f1217b1-dee0-11d2-a5e5-000086339399"), Name: "IOPCHDA_Browser", op: oth},
	{UUID: mustUUID("1f1217b2-dee0-11d2-a5e5-000086339399"), Name: "IOPCHDA_SyncRead", op: rd},
	{UUID: mustUUID("1f1217b3-dee0-11d2-a5e5-000086339399"), Name: "IOPCHDA_SyncUpdate", op: wr},
	// Windows services reached over named pipes (ncacn_np) and TCP: the
	// service control manager (MS-SCMR), the task schedulers (MS-TSCH),
	// the server service (MS-SRVS), SAM and LSA (MS-SAMR, MS-LSAD), the
	// registry (MS-RRP) and directory replication (MS-DRSR).
	{UUID: mustUUID("367abb81-9844-35f1-ad32-98f038001003"), Name: "svcctl", op: oth, methods: ms("svcctl", 0,
		"RCloseServiceHandle", ses, "RControlService", cfg, "RDeleteService", cfg, "RLockServiceDatabase", oth,
		"RQueryServiceObjectSecurity", rd, "RSetServiceObjectSecurity", cfg, "RQueryServiceStatus", rd, "RSetServiceStatus", oth,
		"RUnlockServiceDatabase", oth, "RNotifyBootConfigStatus", oth, "Opnum10NotUsedOnWire", oth, "RChangeServiceConfigW", cfg,
		"RCreateServiceW", cfg, "REnumDependentServicesW", rd, "REnumServicesStatusW", rd, "ROpenSCManagerW", ses,
		"ROpenServiceW", ses, "RQueryServiceConfigW", rd, "RQueryServiceLockStatusW", rd, "RStartServiceW", cfg)},
	{UUID: mustUUID("1ff70682-0a51-30e8-076d-740be8cee98b"), Name: "atsvc", op: oth, methods: ms("atsvc", 0,
		"NetrJobAdd", cfg, "NetrJobDel", cfg, "NetrJobEnum", rd, "NetrJobGetInfo", rd)},
	{UUID: mustUUID("86d35949-83c9-4044-b424-db363231fd0c"), Name: "ITaskSchedulerService", op: oth, methods: ms("ITaskSchedulerService", 0,
		"SchRpcHighestVersion", idn, "SchRpcRegisterTask", cfg, "SchRpcRetrieveTask", rd, "SchRpcCreateFolder", cfg,
		"SchRpcSetSecurity", cfg, "SchRpcGetSecurity", rd, "SchRpcEnumFolders", rd, "SchRpcEnumTasks", rd,
		"SchRpcEnumInstances", rd, "SchRpcGetInstanceInfo", rd, "SchRpcStopInstance", cfg, "SchRpcStop", cfg,
		"SchRpcRun", cfg, "SchRpcDelete", cfg)},
	{UUID: mustUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Name: "srvsvc", op: rd},
	{UUID: mustUUID("12345778-1234-abcd-ef00-0123456789ac"), Name: "samr", op: rd},
	{UUID: mustUUID("12345778-1234-abcd-ef00-0123456789ab"), Name: "lsarpc", op: rd},
	{UUID: mustUUID("338cd001-2244-31f1-aaaa-900038001003"), Name: "winreg", op: oth},
	{UUID: mustUUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), Name: "drsuapi", op: rd},
	// WMI (MS-WMI).
	{UUID: mustUUID("f309ad18-d86a-11d0-a075-00c04fb68820"), Name: "IWbemLevel1Login", op: ses},
	{UUID: mustUUID("9556dc99-828c-11cf-a37e-00aa003240c7"), Name: "IWbemServices", op: oth},
}

// lookupIface returns the table index of u, unknownIface when unknown.
func lookupIface(u UUID) uint8 {
	for i := 1; i < len(ifaces); i++ {
		if ifaces[i].UUID == u {
			return uint8(i)
		}
	}
	return unknownIface
}

// Interface returns the name of a well-known interface, "" when unknown.
func Interface(u UUID) string { return ifaces[lookupIface(u)].Name }
