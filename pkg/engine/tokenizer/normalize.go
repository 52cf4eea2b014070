package tokenizer

import (
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites text before pre-tokenization (Hugging Face's normalizers). Only the ones byte-level
// BPE tokenizers use are supported; nil means none.
type normalizer func(string) string

type normalizerJSON struct {
	Type        string           `json:"type"`
	Normalizers []normalizerJSON `json:"normalizers"`
	Pattern     struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	} `json:"pattern"` // Replace
	Content string `json:"content"` // Replace
	Prepend string `json:"prepend"` // Prepend
}

func parseNormalizer(n *normalizerJSON) (normalizer, error) {
	if n == nil {
		return nil, nil
	}
	switch n.Type {
	case "NFC":
		return norm.NFC.String, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "Lowercase":
		return strings.ToLower, nil
	case "Replace": // SentencePiece-style tokenizers spell spaces "▁"
		if n.Pattern.String == nil || *n.Pattern.String == "" {
			return nil, fmt.Errorf("normalizer Replace is supported with a String pattern only")
		}
		old, repl := *n.Pattern.String, n.Content
		return func(s string) string { return strings.ReplaceAll(s, old, repl) }, nil
	case "Prepend": // Llama 2: "▁" before a non-empty text
		pre := n.Prepend
		return func(s string) string {
			if s == "" {
				return s
			}
			return pre + s
		}, nil
	case "Sequence":
		var fs []normalizer
		for i := range n.Normalizers {
			f, err := parseNormalizer(&n.Normalizers[i])
			if err != nil {
				return nil, err
			}
			if f != nil {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			return nil, nil
		}
		return func(s string) string {
			for _, f := range fs {
				s = f(s)
			}
			return s
		}, nil
	}
	return nil, fmt.Errorf("normalizer type %q is not supported (supported: null, NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Sequence)", n.Type)
}
