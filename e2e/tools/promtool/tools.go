//go:build tools

// Package tools pins the promtool (Prometheus's own rule checker and rule unit-test runner) that
// e2e/tools/build.sh compiles for the monitoring tests. It holds no code of ours.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
