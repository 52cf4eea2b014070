//go:build !noxla

package lm

import _ "github.com/gomlx/go-xla/compute/xla" // XLA through PJRT plugins, found at run time

const xlaCompiledIn = true
