//go:build noxla

package lm

import "github.com/gomlx/gomlx/core/graph"

// aliasInput is XLA's input-output aliasing (alias_xla.go); without XLA there is none to declare.
func aliasInput(*graph.Node, int) bool { return false }
