package event

import (
	"encoding/json"
	"strconv"
	"time"
)

// AppendJSON appends e as JSON to b: the same bytes as json.Marshal(e),
// without reflection, for stores that keep millions of events.
func AppendJSON(b []byte, e *Event) ([]byte, error) {
	b = append(b, `{"ts":`...)
	if e.TS.IsZero() || e.TS.Year() < 0 || e.TS.Year() > 9999 {
		raw, err := json.Marshal(e.TS)
		if err != nil {
			return b, err
		}
		b = append(b, raw...)
	} else {
		b = append(b, '"')
		b = e.TS.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = appendField(b, `,"proto":`, e.Proto)
	b = appendField(b, `,"dir":`, e.Dir)
	b = append(b, `,"src":"`...)
	b = e.Src.AppendTo(b)
	b = append(b, `","sport":`...)
	b = strconv.AppendUint(b, uint64(e.SPort), 10)
	b = append(b, `,"dst":"`...)
	b = e.Dst.AppendTo(b)
	b = append(b, `","dport":`...)
	b = strconv.AppendUint(b, uint64(e.DPort), 10)
	b = append(b, `,"vlan":`...)
	b = strconv.AppendUint(b, uint64(e.VLAN), 10)
	b = append(b, `,"packet":`...)
	b = strconv.AppendInt(b, e.Packet, 10)
	b = appendField(b, `,"capture":`, e.Capture)
	if e.Op != "" {
		b = appendField(b, `,"op":`, e.Op)
	}
	if e.Func != nil {
		b = append(b, `,"func":`...)
		b = strconv.AppendInt(b, int64(*e.Func), 10)
	}
	if e.Name != "" {
		b = appendField(b, `,"name":`, e.Name)
	}
	if e.Status != "" {
		b = appendField(b, `,"status":`, e.Status)
	}
	if len(e.Detail) > 0 {
		raw, err := json.Marshal(e.Detail)
		if err != nil {
			return b, err
		}
		b = append(b, `,"detail":`...)
		b = append(b, raw...)
	}
	return append(b, '}'), nil
}

// appendField appends key and s as a JSON string, escaped as
// encoding/json escapes it.
func appendField(b []byte, key, s string) []byte {
	b = append(b, key...)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s)
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
