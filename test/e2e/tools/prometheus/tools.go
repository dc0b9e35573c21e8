//go:build tools

// Package tools keeps github.com/prometheus/prometheus in this module's requirements: build.sh
// builds its cmd/promtool by path.
package tools

import _ "github.com/prometheus/prometheus/cmd/promtool"
