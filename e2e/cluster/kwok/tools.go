//go:build tools

// Package tools pins the kwok commands that build.sh compiles.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
	_ "sigs.k8s.io/kwok/cmd/kwokctl"
)
