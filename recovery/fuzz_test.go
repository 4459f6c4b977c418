package recovery

import (
	"bytes"
	"testing"
)

func FuzzReadBackups(f *testing.F) {
	f.Add([]byte("id,crane,asset,item,system,location,offline,sha256,size,taken_at,restore_tested,restore_result,restore_by,note\n" +
		"K1,STS-01,cms01,os-image,crane-management,safe,yes," + string(bytes.Repeat([]byte("a"), 64)) + ",10,2026-10-01,2026-10-02,pass,eve,\n"))
	f.Add([]byte("crane,item,taken_at\nA,\"plc-program\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, problems, _, err := ReadBackups("f", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			if p.File != "f" || p.Msg == "" {
				t.Fatalf("problem %+v", p)
			}
		}
		// What was read writes and reads back the same.
		var b bytes.Buffer
		if err := WriteBackups(&b, bs); err != nil {
			t.Fatal(err)
		}
		again, problems, _, _ := ReadBackups("g", &b)
		if len(problems) != 0 || len(again) != len(bs) {
			t.Fatalf("round trip: %d of %d rows, %v", len(again), len(bs), problems)
		}
	})
}

func FuzzReadSpares(f *testing.F) {
	f.Add([]byte("id,crane,component,model,on_hand,required,location,firmware_compatible,rebuild_tested,note\nP1,STS-01,plc,S7,1,1,store,yes,2026-01-01,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, _, _, err := ReadSpares("f", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.Crane == "" || s.OnHand < 0 || s.Required < 0 {
				t.Fatalf("%+v", s)
			}
		}
	})
}
