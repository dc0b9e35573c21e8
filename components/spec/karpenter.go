package spec

import (
	"fmt"
	"math"
	"strconv"
)

// KarpenterLimits are an app pool's NodePool limits on AWS: the vCPUs and memory of its most
// nodes of its size, so that Karpenter launches no more than the pool's maximum would hold.
func (n NodePool) KarpenterLimits() (cpu, memory string, err error) {
	info, err := Lookup(AWS, NodeSize, n.Size.AWS)
	if err != nil {
		return "", "", err
	}
	return strconv.FormatFloat(info.VCPUs*float64(n.MaxNodes), 'f', -1, 64), strconv.FormatFloat(info.MemoryGiB*float64(n.MaxNodes), 'f', -1, 64) + "Gi", nil
}

// KarpenterPool is a Karpenter NodePool read back as a pool: the preset's size and the nodes
// its minimums run on from scalestack's annotations, and its most nodes, those of the size
// that fit its CPU and memory limits. Spot is whether it launches spot capacity alone.
type KarpenterPool struct {
	Size     string
	Min, Max int
	Spot     bool
	Info     SizeInfo
}

// ReadKarpenterPool reads a NodePool's annotations, spec.limits and requirements (as JSON
// decodes them); errors name what is missing or wrong.
func ReadKarpenterPool(cloud Cloud, annotations, limits map[string]any, requirements []any) (KarpenterPool, error) {
	size, _ := annotations[AnnotationNodeSize].(string)
	info, err := Lookup(cloud, NodeSize, size)
	if err != nil {
		return KarpenterPool{}, fmt.Errorf("annotation %s: %w", AnnotationNodeSize, err)
	}
	minText, _ := annotations[AnnotationMinNodes].(string)
	lo, err := strconv.Atoi(minText)
	if err != nil || lo < 0 {
		return KarpenterPool{}, fmt.Errorf("annotation %s: %q is not a count of nodes", AnnotationMinNodes, minText)
	}
	cpu, err := strconv.ParseFloat(fmt.Sprint(limits["cpu"]), 64)
	if err != nil || !(cpu > 0) || math.IsInf(cpu, 0) {
		return KarpenterPool{}, fmt.Errorf("spec.limits.cpu: %v is not a number of vCPUs (without it Karpenter launches without bound)", limits["cpu"])
	}
	hi := int(math.Floor(cpu/info.VCPUs + 1e-9))
	mem, _ := limits["memory"].(string)
	if mib := MiB(mem); mib > 0 {
		hi = min(hi, int(math.Floor(mib/1024/info.MemoryGiB+1e-9)))
	} else {
		return KarpenterPool{}, fmt.Errorf("spec.limits.memory: %v is not a quantity of memory (want the form 64Gi)", limits["memory"])
	}
	p := KarpenterPool{Size: size, Min: lo, Max: max(hi, lo), Info: info}
	for _, req := range requirements {
		m, _ := req.(map[string]any)
		if m["key"] == "karpenter.sh/capacity-type" {
			vs, _ := m["values"].([]any)
			p.Spot = len(vs) == 1 && vs[0] == "spot"
		}
	}
	return p, nil
}
