package jupyter

import (
	"encoding/json"
	"os"
	"testing"
)

// wireGolden is testdata/wire_golden.json: messages serialized by jupyter_client's Session
// (tools/reference/make_notebook_fixtures.py).
type wireGolden struct {
	Key      string `json:"key"`
	Messages []struct {
		Frames []string `json:"frames"`
	} `json:"messages"`
}

func loadWireGolden(t *testing.T) wireGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/wire_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g wireGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func toFrames(s []string) [][]byte {
	frames := make([][]byte, len(s))
	for i, f := range s {
		frames[i] = []byte(f)
	}
	return frames
}

// TestSignMatchesJupyterClient checks the HMAC-SHA256 signature against jupyter_client's.
func TestSignMatchesJupyterClient(t *testing.T) {
	g := loadWireGolden(t)
	for _, m := range g.Messages {
		frames := toFrames(m.Frames)
		i := 0
		for string(frames[i]) != delimiter {
			i++
		}
		if got, want := sign([]byte(g.Key), frames[i+2:i+6]), m.Frames[i+1]; got != want {
			t.Errorf("sign = %s, jupyter_client signed %s", got, want)
		}
	}
	if got := sign(nil, [][]byte{[]byte("{}")}); got != "" {
		t.Errorf("sign with an empty key = %q, want \"\" (signing disabled)", got)
	}
}

// TestDecodeJupyterClientFrames decodes jupyter_client's frames, with and without identities.
func TestDecodeJupyterClientFrames(t *testing.T) {
	g := loadWireGolden(t)
	tests := []struct {
		msgType, parentID, identity, content string
	}{
		{"execute_request", "", "", `{"code": "fmt.Println(\"hi\")", "silent": false, "store_history": true}`},
		{"stream", "m-1", "kernel.k-1.stream", `{"name": "stdout", "text": "hi\n"}`},
	}
	for i, tc := range tests {
		t.Run(tc.msgType, func(t *testing.T) {
			m, err := decode([]byte(g.Key), toFrames(g.Messages[i].Frames))
			if err != nil {
				t.Fatal(err)
			}
			if m.Header.MsgType != tc.msgType || m.ParentHeader.MsgID != tc.parentID || string(m.Content) != tc.content {
				t.Errorf("decoded type %q parent %q content %s; want %q %q %s", m.Header.MsgType, m.ParentHeader.MsgID, m.Content, tc.msgType, tc.parentID, tc.content)
			}
			if tc.identity != "" && (len(m.Identities) != 1 || string(m.Identities[0]) != tc.identity) {
				t.Errorf("identities = %q, want [%q]", m.Identities, tc.identity)
			}
		})
	}
}

// TestDecodeRejects checks that tampered, unsigned and malformed messages are refused.
func TestDecodeRejects(t *testing.T) {
	g := loadWireGolden(t)
	good := g.Messages[0].Frames
	tamper := func(i int, v string) [][]byte {
		f := toFrames(good)
		f[i] = []byte(v)
		return f
	}
	tests := []struct {
		name   string
		key    string
		frames [][]byte
	}{
		{"content changed", g.Key, tamper(5, `{"code": "os.RemoveAll(\"/\")"}`)},
		{"wrong key", "another key", toFrames(good)},
		{"signature not hex", g.Key, tamper(1, "zz")},
		{"no delimiter", g.Key, tamper(0, "<IDS|MSX>")},
		{"too few frames", g.Key, toFrames(good[:4])},
	}
	for _, tc := range tests {
		if _, err := decode([]byte(tc.key), tc.frames); err == nil {
			t.Errorf("%s: decode accepted the message", tc.name)
		}
	}
}

// TestEncodeDecodeRoundTrip checks encode's frame layout and that decode reads it back.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	key := []byte("k")
	m, err := newMessage("sess", "execute_request", map[string]any{"code": "x := 1"})
	if err != nil {
		t.Fatal(err)
	}
	m.Identities = [][]byte{[]byte("id-1")}
	m.ParentHeader = Header{MsgID: "parent"}
	m.Buffers = [][]byte{{0, 1, 2}}
	frames, err := m.encode(key)
	if err != nil {
		t.Fatal(err)
	}
	// [id, <IDS|MSG>, sig, header, parent, metadata, content, buffer]
	if len(frames) != 8 || string(frames[1]) != delimiter || string(frames[5]) != "{}" || len(frames[2]) != 64 {
		t.Fatalf("frames = %q", frames)
	}
	got, err := decode(key, frames)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header != m.Header || got.ParentHeader.MsgID != "parent" || string(got.Content) != `{"code":"x := 1"}` ||
		len(got.Buffers) != 1 || string(got.Identities[0]) != "id-1" {
		t.Errorf("round trip: got %+v, want %+v", got, m)
	}
	if got.Header.Version != protocolVersion || len(got.Header.MsgID) != 32 {
		t.Errorf("header = %+v, want version %s and a 32-hex-digit msg_id", got.Header, protocolVersion)
	}
}
