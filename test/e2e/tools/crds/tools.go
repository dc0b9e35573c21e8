//go:build tools

// Package tools keeps controller-gen and the Prometheus operator's API types in this module's
// requirements: build.sh builds controller-gen by path and runs it on the types' packages.
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1beta1"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
