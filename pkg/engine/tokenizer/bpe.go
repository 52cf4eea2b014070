package tokenizer

import (
	"strings"
	"sync"
)

// bpe is a byte-level BPE model: a word (one pre-tokenized piece, as raw bytes) starts as one symbol per
// byte and the pair with the lowest merge rank is merged until no ranked pair is left.
type bpe struct {
	byteID       [256]int32          // id of the byte-level rune of each byte; -1: not in the vocabulary
	merges       map[uint64]mergeVal // (left id, right id) -> rank and merged id
	rawVocab     map[string]int32    // raw bytes of each model token -> id (for ignore_merges)
	ignoreMerges bool                // a word that is itself a token is emitted whole (Llama 3)
	unk          int32               // id for a byte missing from the vocabulary; -1: drop the byte

	// SentencePiece-style BPE (sentencepiece.go): words start from characters, not bytes.
	charLevel    bool
	chars        map[string]int32 // one-character tokens
	byteFallback bool             // a character missing from chars becomes its bytes' <0xNN> tokens
	fallback     [256]int32       // id of <0xNN> for each byte; -1: none
	fuseUnk      bool             // consecutive unknown characters become one unknown token

	mu    sync.RWMutex
	cache map[string][]int32
}

type mergeVal struct{ rank, id int32 }

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// cacheLimit bounds the word cache; the cache is dropped whole when full (words repeat a lot in text, so
// it refills with the frequent ones at once).
const cacheLimit = 200_000

// encodeWord appends the ids of one pre-tokenized piece to out.
func (m *bpe) encodeWord(word string, out []int) []int {
	m.mu.RLock()
	ids, ok := m.cache[word]
	m.mu.RUnlock()
	if !ok {
		ids = m.merge(word)
		if len(word) > maxCachedWord { // SentencePiece-style words can be whole texts: not worth keeping
			return appendIDs(out, ids)
		}
		m.mu.Lock()
		if len(m.cache) >= cacheLimit {
			m.cache = make(map[string][]int32, 1024)
		}
		m.cache[strings.Clone(word)] = ids
		m.mu.Unlock()
	}
	return appendIDs(out, ids)
}

// maxCachedWord is the longest word (in bytes) the cache keeps.
const maxCachedWord = 256

func appendIDs(out []int, ids []int32) []int {
	for _, id := range ids {
		out = append(out, int(id))
	}
	return out
}

// symbol is one node of the doubly linked list of a word's current symbols; pos is its index in the
// original array and never changes, so it orders symbols left to right.
type symbol struct {
	id         int32
	prev, next int32
	dead       bool
}

// candidate is a possible merge of the symbol at pos with the one after it.
type candidate struct {
	rank, pos, id int32
}

// merge runs BPE on one word the way Hugging Face tokenizers' Word::merge_all does: a priority queue of
// candidate merges ordered by (rank, position); a popped candidate whose pair has changed meanwhile is
// stale and skipped. Matching this order exactly matters only in odd vocabularies, but it is cheap.
func (m *bpe) merge(word string) []int32 {
	if m.ignoreMerges {
		if id, ok := m.rawVocab[word]; ok {
			return []int32{id}
		}
	}
	syms := make([]symbol, 0, len(word))
	if m.charLevel {
		for _, id := range m.charSymbols(word) {
			syms = append(syms, symbol{id: id})
		}
	}
	for i := 0; i < len(word) && !m.charLevel; i++ {
		id := m.byteID[word[i]]
		if id < 0 {
			if m.unk < 0 {
				continue // no unk token: Hugging Face drops a byte the vocabulary cannot spell
			}
			id = m.unk
		}
		syms = append(syms, symbol{id: id})
	}
	n := int32(len(syms))
	for i := range syms {
		syms[i].prev, syms[i].next = int32(i)-1, int32(i)+1
	}
	if n > 0 {
		syms[n-1].next = -1
	}
	var h heap
	for i := int32(0); i+1 < n; i++ {
		if mv, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h.push(candidate{mv.rank, i, mv.id})
		}
	}
	for len(h) > 0 {
		c := h.pop()
		s := &syms[c.pos]
		if s.dead || s.next < 0 {
			continue
		}
		right := &syms[s.next]
		if mv, ok := m.merges[pairKey(s.id, right.id)]; !ok || mv.id != c.id {
			continue // stale: one side was merged into something else since
		}
		s.id = c.id
		right.dead = true
		s.next = right.next
		if s.next >= 0 {
			syms[s.next].prev = c.pos
		}
		if s.prev >= 0 {
			if mv, ok := m.merges[pairKey(syms[s.prev].id, s.id)]; ok {
				h.push(candidate{mv.rank, s.prev, mv.id})
			}
		}
		if s.next >= 0 {
			if mv, ok := m.merges[pairKey(s.id, syms[s.next].id)]; ok {
				h.push(candidate{mv.rank, c.pos, mv.id})
			}
		}
	}
	out := make([]int32, 0, len(syms))
	for i := int32(0); i < n && i >= 0; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}

// heap is a binary min-heap of candidates by (rank, pos); written out because container/heap's interface
// calls cost more than the merging itself on short words.
type heap []candidate

func (c candidate) less(d candidate) bool {
	return c.rank < d.rank || c.rank == d.rank && c.pos < d.pos
}

func (h *heap) push(c candidate) {
	*h = append(*h, c)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a[i].less(a[p]) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *heap) pop() candidate {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, r, min := 2*i+1, 2*i+2, i
		if l < len(a) && a[l].less(a[min]) {
			min = l
		}
		if r < len(a) && a[r].less(a[min]) {
			min = r
		}
		if min == i {
			break
		}
		a[i], a[min] = a[min], a[i]
		i = min
	}
	*h = a
	return top
}
