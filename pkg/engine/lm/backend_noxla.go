//go:build noxla

package lm

const xlaCompiledIn = false
