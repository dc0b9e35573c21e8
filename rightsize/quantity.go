package rightsize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// suffixes are Kubernetes quantity suffixes and their factors: binary (Ki..Ei), decimal (k..E)
// and the small decimal ones a CPU or a recommender writes (n, u, m).
var suffixes = []struct {
	suffix string
	factor float64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50}, {"Ei", 1 << 60},
	{"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
}

// Quantity reads a Kubernetes resource quantity (500m, 1.5, 262144k, 512Mi, 1e3) as a plain
// number: cores for CPU, bytes for memory.
func Quantity(q string) (float64, error) {
	s := strings.TrimSpace(q)
	if s == "" {
		return 0, fmt.Errorf("an empty quantity")
	}
	factor := 1.0
	for _, x := range suffixes {
		if n, ok := strings.CutSuffix(s, x.suffix); ok && n != "" && !strings.HasSuffix(n, "e") && !strings.HasSuffix(n, "E") {
			s, factor = n, x.factor
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("%q is not a quantity (want the form 500m, 1.5, 512Mi or 262144k)", q)
	}
	return f * factor, nil
}

// cpuText writes cores as Kubernetes would: millicores below 10 cores, rounded up to 10m.
func cpuText(cores float64) string {
	// Rounded to the nanocore first, so that a float's error (0.07*100 = 7.000000000000001)
	// does not lift an exact figure a step.
	m := math.Ceil(math.Round(cores*1e9)/1e7) * 10
	if m >= 10000 {
		return strconv.FormatFloat(math.Ceil(cores), 'f', -1, 64)
	}
	return strconv.Itoa(int(m)) + "m"
}

// memoryText writes bytes in Mi, rounded up to the MiB (in Gi from 10Gi).
func memoryText(bytes float64) string {
	mi := math.Ceil(bytes / (1 << 20))
	if mi >= 10*1024 && math.Mod(mi, 1024) == 0 {
		return strconv.Itoa(int(mi/1024)) + "Gi"
	}
	return strconv.Itoa(int(mi)) + "Mi"
}
