package dnp3

import (
	"encoding/binary"
	"strconv"

	"harborwatch/event"
)

// Kind says what a Message is.
type Kind uint8

// Kinds.
const (
	// KindApplication: a reassembled application fragment.
	KindApplication Kind = iota + 1
	// KindLink: a link frame whose CRCs fail; it carries no application
	// data and is Malformed.
	KindLink
)

// Link is the link header of the (last) frame of a Message.
type Link struct {
	Control   uint8  // DIR, PRM, FCB/FCV, function
	Dest, Src uint16 // link addresses
}

// Object is one object header of an application fragment.
type Object struct {
	Group, Variation, Qualifier uint8
	Start                       int    // the range's start index (range qualifiers 0-5)
	Count                       int    // objects the header names (0 with qualifier 0x06: all)
	Data                        []byte // the objects' data as sent, when their size is known
}

// Message is one application fragment (or one unreadable link frame),
// decoded. It is reused by its Analyzer: it and every slice in it are
// valid only during the emit call.
type Message struct {
	Kind     Kind
	Link     Link
	Segments int    // transport segments of the fragment
	Fragment []byte // the reassembled application fragment

	Control uint8  // application control: FIR, FIN, CON, UNS, SEQ
	Code    uint8  // function code
	IIN     uint16 // internal indications of a response (first octet high), when HasIIN
	HasIIN  bool

	// Objects counts the object headers read; the first 16 are kept
	// (Object). ObjectsUnread: objects of unknown size ended the reading.
	Objects       int
	ObjectsUnread bool
	objects       [maxObjects]Object

	// Malformed: the fragment (or frame) is invalid; Status names the
	// problem.
	Malformed bool

	fromClient bool
	problem    string
	reqOp      string // a response's request's operation
}

// Object returns the i-th object header kept (i < min(Objects, 16)).
func (m *Message) Object(i int) Object { return m.objects[i] }

// Request reports whether m is a request (function code below 128).
func (m *Message) Request() bool { return m.Kind == KindApplication && m.Code < FuncResponse }

// Func is the application function code.
func (m *Message) Func() int { return int(m.Code) }

// Name is the function's name as tshark writes it (Read, Direct Operate,
// Response, Unsolicited Response, …; unknown-N), "bad CRC" for an
// unreadable link frame.
func (m *Message) Name() string {
	if m.Kind == KindLink {
		return "bad CRC"
	}
	return funcs[m.Code].name
}

// Op classifies m into the event.Op* vocabulary (see doc.go): a response
// has the operation of the request with its sequence number (read if none
// was seen); Open File is program-download when it opens for writing or
// appending, program-upload for reading.
func (m *Message) Op() string {
	switch {
	case m.Kind == KindLink:
		return event.OpOther
	case m.Code == FuncResponse:
		if m.reqOp != "" {
			return m.reqOp
		}
		return event.OpRead
	case m.Code == FuncOpenFile:
		return m.openFileOp()
	case m.Code == FuncRead && m.Objects > 0 && m.objects[0].Group == 0:
		return event.OpIdentity // device attributes
	}
	return funcs[m.Code].op
}

// openFileOp classifies Open File by the operational mode of its file
// command object (g70v3, §A.41.3): 1 read, 2 write, 3 append.
func (m *Message) openFileOp() string {
	for i := range min(m.Objects, maxObjects) {
		o := m.objects[i]
		if o.Group != 70 || o.Variation != 3 || len(o.Data) < 2+22 {
			continue
		}
		d := o.Data[2:] // the object's size prefix (qualifier 0x5B)
		switch binary.LittleEndian.Uint16(d[20:]) {
		case 1:
			return event.OpProgramUpload
		case 2, 3:
			return event.OpProgramDownload
		}
	}
	return event.OpOther
}

// Status is "" for a normal fragment, the problem of a malformed one, or
// the first error a response's internal indications raise
// (no_func_code_support, object_unknown, parameter_error).
func (m *Message) Status() string {
	if m.problem != "" {
		return m.problem
	}
	if m.HasIIN {
		for bit := 8; bit <= 10; bit++ {
			if m.iinBit(bit) {
				return iinNames[bit]
			}
		}
	}
	return ""
}

// iinBit reports IIN bit i: bits 0-7 of the first octet (IIN1), then
// bits 0-7 of the second (IIN2).
func (m *Message) iinBit(i int) bool {
	if i < 8 {
		return m.IIN>>(8+i)&1 != 0
	}
	return m.IIN>>(i-8)&1 != 0
}

// Detail adds the detail keys of m's event: link source and destination,
// application sequence and flags, segments, internal indications of a
// response (iin, iin_flags), and the first 16 object headers (objects:
// gXvY, qualifier, start, count) with the first control relay output
// block of a command (crob). It allocates.
func (m *Message) Detail(d map[string]any) {
	d["link_src"], d["link_dst"] = int(m.Link.Src), int(m.Link.Dest)
	if m.Kind == KindLink {
		d["malformed"] = true
		return
	}
	d["segments"] = m.Segments
	if m.Malformed {
		d["malformed"] = true
	}
	if len(m.Fragment) < 2 {
		return
	}
	d["seq"] = int(m.Control & 0x0F)
	if m.Control&0x20 != 0 {
		d["confirm"] = true
	}
	if m.Control&0x10 != 0 {
		d["unsolicited"] = true
	}
	if m.HasIIN {
		d["iin"] = int(m.IIN)
		var flags []string
		for i := range 16 {
			if m.iinBit(i) {
				flags = append(flags, iinNames[i])
			}
		}
		if flags != nil {
			d["iin_flags"] = flags
		}
	}
	if m.Objects == 0 {
		return
	}
	objs := make([]map[string]any, 0, min(m.Objects, maxObjects))
	for i := range min(m.Objects, maxObjects) {
		o := m.objects[i]
		om := map[string]any{"object": "g" + strconv.Itoa(int(o.Group)) + "v" + strconv.Itoa(int(o.Variation)),
			"qualifier": int(o.Qualifier), "count": o.Count}
		if o.Qualifier&0x0F <= 5 {
			om["start"] = o.Start
		}
		objs = append(objs, om)
		if o.Group == 12 && o.Variation == 1 && d["crob"] == nil {
			if c, ok := crob(o); ok {
				d["crob"] = c
			}
		}
	}
	d["objects"] = objs
	if m.HasIIN {
		if id := m.attributes(); len(id) > 0 {
			d["identity"] = id
		}
	}
	if m.Objects > maxObjects {
		d["objects_truncated"] = true
	}
	if m.ObjectsUnread {
		d["objects_unread"] = true
	}
}

// crob decodes the first control relay output block (g12v1, §A.11.1) of
// an object header: index (when prefixed), control code, count, on and
// off times, status.
func crob(o Object) (map[string]any, bool) {
	prefix := 0
	switch (o.Qualifier >> 4) & 0x07 {
	case 1:
		prefix = 1
	case 2:
		prefix = 2
	case 3:
		prefix = 4
	}
	b := o.Data
	if len(b) < prefix+11 {
		return nil, false
	}
	c := map[string]any{}
	switch prefix {
	case 1:
		c["index"] = int(b[0])
	case 2:
		c["index"] = int(binary.LittleEndian.Uint16(b))
	case 4:
		c["index"] = int(binary.LittleEndian.Uint32(b))
	default:
		c["index"] = o.Start
	}
	b = b[prefix:]
	c["code"] = int(b[0])
	c["count"] = int(b[1])
	c["on_ms"] = int(binary.LittleEndian.Uint32(b[2:]))
	c["off_ms"] = int(binary.LittleEndian.Uint32(b[6:]))
	c["status"] = int(b[10])
	return c, true
}

// attributeKeys are the device attributes (g0 variations, §A.1) a
// response's identity carries, under the keys of the asset records.
var attributeKeys = map[uint8]string{
	242: "firmware", 243: "hardware", 245: "location", 246: "id_code", 247: "name", 248: "serial",
	250: "model", 252: "vendor",
}

// attributes returns the visible-string device attributes of a response
// (one object each, unprefixed), keyed by attributeKeys.
func (m *Message) attributes() map[string]any {
	var id map[string]any
	for i := range min(m.Objects, maxObjects) {
		o := m.objects[i]
		k, ok := attributeKeys[o.Variation]
		if o.Group != 0 || !ok || (o.Qualifier>>4)&0x07 != 0 || len(o.Data) < 2 || o.Data[0] != 1 {
			continue
		}
		v := o.Data[2:min(len(o.Data), 2+int(o.Data[1]))]
		if id == nil {
			id = map[string]any{}
		}
		id[k] = printable(v)
	}
	return id
}

// printable keeps v's printable ASCII.
func printable(v []byte) string {
	out := make([]byte, 0, len(v))
	for _, c := range v {
		if c >= 0x20 && c < 0x7F {
			out = append(out, c)
		}
	}
	return string(out)
}
