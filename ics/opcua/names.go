package opcua

import "harborwatch/event"

// service is an OPC UA service message: its name as tshark writes it,
// whether it is a request, and its operation.
type service struct {
	name    string
	request bool
	op      string
}

// Service ids: the numeric NodeIds (namespace 0) of the services'
// DefaultBinary encodings (OPC UA Part 6, NodeIds.csv).
const (
	idServiceFault          = 397
	idGetEndpointsResponse  = 431
	idOpenSecureChannelReq  = 446
	idOpenSecureChannelResp = 449
	idCreateSessionRequest  = 461
	idActivateSessionReq    = 467
	idReadRequest           = 631
	idWriteRequest          = 673
	idCallRequest           = 712
)

// services maps the service ids to their names and operations: reads
// (Read, Browse, TranslateBrowsePaths, history and queries) are read;
// Write and HistoryUpdate write; Call (a method may change state), node
// and reference management and server registration config-change;
// subscriptions, monitored items and Publish io; sessions auth; the
// secure channel and session close session; discovery identity.
var services = map[uint32]service{
	397:   {"ServiceFault", false, event.OpOther},
	410:   {"TestStackRequest", true, event.OpOther},
	413:   {"TestStackResponse", false, event.OpOther},
	416:   {"TestStackExRequest", true, event.OpOther},
	419:   {"TestStackExResponse", false, event.OpOther},
	422:   {"FindServersRequest", true, event.OpIdentity},
	425:   {"FindServersResponse", false, event.OpIdentity},
	428:   {"GetEndpointsRequest", true, event.OpIdentity},
	431:   {"GetEndpointsResponse", false, event.OpIdentity},
	437:   {"RegisterServerRequest", true, event.OpConfigChange},
	440:   {"RegisterServerResponse", false, event.OpConfigChange},
	446:   {"OpenSecureChannelRequest", true, event.OpSession},
	449:   {"OpenSecureChannelResponse", false, event.OpSession},
	452:   {"CloseSecureChannelRequest", true, event.OpSession},
	455:   {"CloseSecureChannelResponse", false, event.OpSession},
	461:   {"CreateSessionRequest", true, event.OpAuth},
	464:   {"CreateSessionResponse", false, event.OpAuth},
	467:   {"ActivateSessionRequest", true, event.OpAuth},
	470:   {"ActivateSessionResponse", false, event.OpAuth},
	473:   {"CloseSessionRequest", true, event.OpSession},
	476:   {"CloseSessionResponse", false, event.OpSession},
	479:   {"CancelRequest", true, event.OpSession},
	482:   {"CancelResponse", false, event.OpSession},
	488:   {"AddNodesRequest", true, event.OpConfigChange},
	491:   {"AddNodesResponse", false, event.OpConfigChange},
	494:   {"AddReferencesRequest", true, event.OpConfigChange},
	497:   {"AddReferencesResponse", false, event.OpConfigChange},
	500:   {"DeleteNodesRequest", true, event.OpConfigChange},
	503:   {"DeleteNodesResponse", false, event.OpConfigChange},
	506:   {"DeleteReferencesRequest", true, event.OpConfigChange},
	509:   {"DeleteReferencesResponse", false, event.OpConfigChange},
	527:   {"BrowseRequest", true, event.OpRead},
	530:   {"BrowseResponse", false, event.OpRead},
	533:   {"BrowseNextRequest", true, event.OpRead},
	536:   {"BrowseNextResponse", false, event.OpRead},
	554:   {"TranslateBrowsePathsToNodeIdsRequest", true, event.OpRead},
	557:   {"TranslateBrowsePathsToNodeIdsResponse", false, event.OpRead},
	560:   {"RegisterNodesRequest", true, event.OpRead},
	563:   {"RegisterNodesResponse", false, event.OpRead},
	566:   {"UnregisterNodesRequest", true, event.OpRead},
	569:   {"UnregisterNodesResponse", false, event.OpRead},
	615:   {"QueryFirstRequest", true, event.OpRead},
	618:   {"QueryFirstResponse", false, event.OpRead},
	621:   {"QueryNextRequest", true, event.OpRead},
	624:   {"QueryNextResponse", false, event.OpRead},
	631:   {"ReadRequest", true, event.OpRead},
	634:   {"ReadResponse", false, event.OpRead},
	664:   {"HistoryReadRequest", true, event.OpRead},
	667:   {"HistoryReadResponse", false, event.OpRead},
	673:   {"WriteRequest", true, event.OpWrite},
	676:   {"WriteResponse", false, event.OpWrite},
	700:   {"HistoryUpdateRequest", true, event.OpWrite},
	703:   {"HistoryUpdateResponse", false, event.OpWrite},
	712:   {"CallRequest", true, event.OpConfigChange},
	715:   {"CallResponse", false, event.OpConfigChange},
	751:   {"CreateMonitoredItemsRequest", true, event.OpIO},
	754:   {"CreateMonitoredItemsResponse", false, event.OpIO},
	763:   {"ModifyMonitoredItemsRequest", true, event.OpIO},
	766:   {"ModifyMonitoredItemsResponse", false, event.OpIO},
	769:   {"SetMonitoringModeRequest", true, event.OpIO},
	772:   {"SetMonitoringModeResponse", false, event.OpIO},
	775:   {"SetTriggeringRequest", true, event.OpIO},
	778:   {"SetTriggeringResponse", false, event.OpIO},
	781:   {"DeleteMonitoredItemsRequest", true, event.OpIO},
	784:   {"DeleteMonitoredItemsResponse", false, event.OpIO},
	787:   {"CreateSubscriptionRequest", true, event.OpIO},
	790:   {"CreateSubscriptionResponse", false, event.OpIO},
	793:   {"ModifySubscriptionRequest", true, event.OpIO},
	796:   {"ModifySubscriptionResponse", false, event.OpIO},
	799:   {"SetPublishingModeRequest", true, event.OpIO},
	802:   {"SetPublishingModeResponse", false, event.OpIO},
	826:   {"PublishRequest", true, event.OpIO},
	829:   {"PublishResponse", false, event.OpIO},
	832:   {"RepublishRequest", true, event.OpIO},
	835:   {"RepublishResponse", false, event.OpIO},
	841:   {"TransferSubscriptionsRequest", true, event.OpIO},
	844:   {"TransferSubscriptionsResponse", false, event.OpIO},
	847:   {"DeleteSubscriptionsRequest", true, event.OpIO},
	850:   {"DeleteSubscriptionsResponse", false, event.OpIO},
	12208: {"FindServersOnNetworkRequest", true, event.OpIdentity},
	12209: {"FindServersOnNetworkResponse", false, event.OpIdentity},
	12211: {"RegisterServer2Request", true, event.OpConfigChange},
	12212: {"RegisterServer2Response", false, event.OpConfigChange},
}

// Message security modes (Part 4 §7.20).
const (
	ModeUnknown        = 0
	ModeNone           = 1
	ModeSign           = 2
	ModeSignAndEncrypt = 3
)

var modeNames = [...]string{"unknown", "None", "Sign", "SignAndEncrypt"}

// Identity token encodings (ExtensionObject type ids, DefaultBinary).
var tokenTypes = map[uint32]string{
	321: "anonymous", // AnonymousIdentityToken
	324: "username",  // UserNameIdentityToken
	327: "certificate",
	940: "issued",
}

// statusNames names the StatusCodes seen most (Part 6, StatusCode.csv).
var statusNames = map[uint32]string{
	0x80010000: "BadUnexpectedError",
	0x80020000: "BadInternalError",
	0x80030000: "BadOutOfMemory",
	0x80040000: "BadResourceUnavailable",
	0x80050000: "BadCommunicationError",
	0x80060000: "BadEncodingError",
	0x80070000: "BadDecodingError",
	0x80080000: "BadEncodingLimitsExceeded",
	0x800A0000: "BadTimeout",
	0x800B0000: "BadServiceUnsupported",
	0x800C0000: "BadShutdown",
	0x800D0000: "BadServerNotConnected",
	0x800E0000: "BadServerHalted",
	0x800F0000: "BadNothingToDo",
	0x80100000: "BadTooManyOperations",
	0x80110000: "BadDataTypeIdUnknown",
	0x80120000: "BadCertificateInvalid",
	0x80130000: "BadSecurityChecksFailed",
	0x801F0000: "BadUserAccessDenied",
	0x80200000: "BadIdentityTokenInvalid",
	0x80210000: "BadIdentityTokenRejected",
	0x80220000: "BadSecureChannelIdInvalid",
	0x80230000: "BadInvalidTimestamp",
	0x80240000: "BadNonceInvalid",
	0x80250000: "BadSessionIdInvalid",
	0x80260000: "BadSessionClosed",
	0x80270000: "BadSessionNotActivated",
	0x80280000: "BadSubscriptionIdInvalid",
	0x802A0000: "BadRequestHeaderInvalid",
	0x80330000: "BadNodeIdInvalid",
	0x80340000: "BadNodeIdUnknown",
	0x80350000: "BadAttributeIdInvalid",
	0x803A0000: "BadNotReadable",
	0x803B0000: "BadNotWritable",
	0x80550000: "BadSecurityPolicyRejected",
	0x80780000: "BadTooManyPublishRequests",
	0x80790000: "BadNoSubscription",
	0x80AB0000: "BadInvalidArgument",
}
