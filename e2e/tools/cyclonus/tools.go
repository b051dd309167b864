//go:build tools

// Package tools pins cyclonus (github.com/mattfenwick/cyclonus), which e2e/tools/build.sh compiles
// for the network-policy tests: it evaluates NetworkPolicy YAML offline for given traffic. It holds
// no code of ours.
package tools

import (
	_ "github.com/mattfenwick/cyclonus/cmd/cyclonus"
)
