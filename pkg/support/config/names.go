package config

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"unicode"
)

// Slug turns an emotion word into a name safe for files and folders: lower case, letters and digits kept,
// every other run of characters made one '-', no '-' at either end ("at ease" -> "at-ease",
// "Self-Confident" -> "self-confident"). A word with no letter or digit gets "x-" and 8 hex digits of its
// SHA-256, so distinct words stay distinct.
func Slug(word string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(word) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		sum := sha256.Sum256([]byte(word))
		return "x-" + hex.EncodeToString(sum[:4])
	}
	return b.String()
}

// TopicID is a short stable name for a topic: the first 12 hex digits of the SHA-256 of the topic's UTF-8
// bytes, surrounding spaces trimmed. Topics are sentences, unfit for paths; 48 bits keep 100 topics apart
// with a collision chance near 1e-11.
func TopicID(topic string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(topic)))
	return hex.EncodeToString(sum[:6])
}

func userHomeDir() (string, error) { return os.UserHomeDir() }
