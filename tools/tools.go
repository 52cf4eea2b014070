//go:build tools

// Package tools records, as blank imports, the commands this module pins, so
// that `go mod tidy` keeps them in go.mod. The build tag keeps the file out of
// every ordinary build; nothing imports this package.
//
// The commands are built by kernel-setup/setup.sh into the repository's bin/.
// `go install github.com/janpfeifer/gonb@v0.11.5` does not work on machines
// whose module proxy refuses the deprecation look-up; building from this
// module does.
package tools

import (
	// GoNB, the Jupyter kernel that runs the notebooks in notebooks/.
	_ "github.com/janpfeifer/gonb"
	// goimports, which GoNB calls on every cell to add missing imports.
	_ "golang.org/x/tools/cmd/goimports"
)
