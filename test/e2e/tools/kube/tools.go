//go:build tools

// Package tools keeps k8s.io/kubernetes in this module's requirements: build.sh builds its
// commands (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) by path.
package tools

import (
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)
