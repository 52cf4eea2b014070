package jupyter

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// protocolVersion is the Jupyter messaging protocol version this client speaks.
const protocolVersion = "5.3"

// delimiter separates the routing identities from the signed part of a message on the wire.
const delimiter = "<IDS|MSG>"

// Header is the header (and parent_header) of a Jupyter message.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one decoded Jupyter message. Content is kept raw so each message type can decode the
// fields it needs; Buffers are the optional extra binary frames.
type Message struct {
	Identities   [][]byte
	Header       Header
	ParentHeader Header
	Metadata     map[string]any
	Content      json.RawMessage
	Buffers      [][]byte
}

// newMessage returns a request of the given type in session, with a fresh msg_id and the current time.
func newMessage(session, msgType string, content any) (*Message, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("notebook: encoding %s content: %w", msgType, err)
	}
	return &Message{
		Header: Header{
			MsgID:    newID(),
			Session:  session,
			Username: "emotion-probes",
			Date:     time.Now().UTC().Format(time.RFC3339Nano),
			MsgType:  msgType,
			Version:  protocolVersion,
		},
		Metadata: map[string]any{},
		Content:  raw,
	}, nil
}

// newID returns a random 128-bit identifier as 32 hex digits (a UUID without dashes, as
// jupyter_client makes them).
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("notebook: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// sign returns the hex HMAC-SHA256 of the four signed frames (header, parent_header, metadata,
// content) under key, or "" when key is empty (signing disabled). Buffers are not signed.
func sign(key []byte, frames [][]byte) string {
	if len(key) == 0 {
		return ""
	}
	mac := hmac.New(sha256.New, key)
	for _, f := range frames {
		mac.Write(f)
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// encode serializes m into ZeroMQ frames:
//
//	[identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
//
// An empty parent header is sent as {} as the protocol asks.
func (m *Message) encode(key []byte) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, fmt.Errorf("notebook: encoding header: %w", err)
	}
	parent := []byte("{}")
	if m.ParentHeader.MsgID != "" {
		if parent, err = json.Marshal(m.ParentHeader); err != nil {
			return nil, fmt.Errorf("notebook: encoding parent header: %w", err)
		}
	}
	metadata := []byte("{}")
	if len(m.Metadata) > 0 {
		if metadata, err = json.Marshal(m.Metadata); err != nil {
			return nil, fmt.Errorf("notebook: encoding metadata: %w", err)
		}
	}
	content := []byte(m.Content)
	if len(content) == 0 {
		content = []byte("{}")
	}
	signed := [][]byte{header, parent, metadata, content}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, []byte(delimiter), []byte(sign(key, signed)))
	frames = append(frames, signed...)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// decode parses ZeroMQ frames into a Message, verifying the signature when key is not empty.
// Frames before the delimiter are routing identities (on iopub: the topic).
func decode(key []byte, frames [][]byte) (*Message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], []byte(delimiter)) {
		i++
	}
	if i == len(frames) {
		return nil, fmt.Errorf("notebook: message of %d frames has no %q delimiter", len(frames), delimiter)
	}
	if len(frames) < i+6 {
		return nil, fmt.Errorf("notebook: message has %d frames after the delimiter, want at least 5 (signature, header, parent_header, metadata, content)", len(frames)-i-1)
	}
	signed := frames[i+2 : i+6]
	if len(key) > 0 {
		got, err := hex.DecodeString(string(frames[i+1]))
		want, _ := hex.DecodeString(sign(key, signed))
		if err != nil || !hmac.Equal(got, want) {
			return nil, fmt.Errorf("notebook: message signature %q does not match the connection key: is another kernel on these ports?", frames[i+1])
		}
	}
	m := &Message{Identities: frames[:i], Content: json.RawMessage(signed[3])}
	if err := json.Unmarshal(signed[0], &m.Header); err != nil {
		return nil, fmt.Errorf("notebook: decoding header %q: %w", signed[0], err)
	}
	if err := json.Unmarshal(signed[1], &m.ParentHeader); err != nil {
		return nil, fmt.Errorf("notebook: decoding parent_header %q: %w", signed[1], err)
	}
	if err := json.Unmarshal(signed[2], &m.Metadata); err != nil {
		return nil, fmt.Errorf("notebook: decoding metadata %q: %w", signed[2], err)
	}
	if len(frames) > i+6 {
		m.Buffers = frames[i+6:]
	}
	return m, nil
}
