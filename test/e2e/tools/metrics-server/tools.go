//go:build tools

// Package tools keeps metrics-server in this module's requirements: build.sh builds its command.
package tools

import _ "sigs.k8s.io/metrics-server/cmd/metrics-server"
