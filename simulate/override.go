package simulate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
)

// figures are the assumptions a run may replace, by their keys in assumptions.yaml.
func (a *Assumptions) figures() map[string]*capacity.Figure {
	return map[string]*capacity.Figure{
		"hpaSyncSeconds": &a.HPASyncSeconds, "hpaTolerance": &a.HPATolerance, "kedaPollingSeconds": &a.KEDAPollingSeconds,
		"metricsResolutionSeconds": &a.MetricsResolutionSeconds, "figureScrapes": &a.FigureScrapes,
		"metricsOffsetSeconds": &a.MetricsOffsetSeconds,
		"imagePullSeconds":     &a.ImagePullSeconds, "appStartSeconds": &a.AppStartSeconds, "nodeScanSeconds": &a.NodeScanSeconds,
		"karpenterBatchSeconds": &a.KarpenterBatchSeconds,
	}
}

// Override replaces assumptions key by key from a file of the same shape as assumptions.yaml,
// each value a number or {value, source}; nodeProvisionSeconds by cloud. What the file sets says
// it came from the file unless it gives its own source. Unknown keys, clouds and values out of
// range are errors that name them.
func (a Assumptions) Override(name string, b []byte) (Assumptions, error) {
	var doc map[string]yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&doc); err != nil {
		return Assumptions{}, fmt.Errorf("%s: not an assumptions file (want keys of simulate/assumptions.yaml, for example imagePullSeconds: 30): %v", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var more any
	if err := dec.Decode(&more); err == nil {
		return Assumptions{}, fmt.Errorf("%s: more than one YAML document", name)
	}
	out := a
	out.NodeProvision = map[string]capacity.Figure{}
	for k, v := range a.NodeProvision {
		out.NodeProvision[k] = v
	}
	figs := out.figures()
	keys := append(slices.Sorted(mapsKeys(figs)), "nodeProvisionSeconds")
	clouds := slices.Sorted(mapsKeys(a.NodeProvision))
	var errs []error
	for _, key := range slices.Sorted(mapsKeys(doc)) {
		node := doc[key]
		if key == "nodeProvisionSeconds" {
			var byCloud map[string]yaml.Node
			if err := node.Decode(&byCloud); err != nil {
				errs = append(errs, fmt.Errorf("%s: nodeProvisionSeconds: want a map of cloud to seconds (%s)", name, strings.Join(clouds, ", ")))
				continue
			}
			for _, cloud := range slices.Sorted(mapsKeys(byCloud)) {
				f, ok := a.NodeProvision[cloud]
				if !ok {
					errs = append(errs, fmt.Errorf("%s: nodeProvisionSeconds.%s: not a cloud (want %s)", name, cloud, strings.Join(clouds, ", ")))
					continue
				}
				n := byCloud[cloud]
				if err := figureOf(name, "nodeProvisionSeconds."+cloud, &n, &f); err != nil {
					errs = append(errs, err)
					continue
				}
				out.NodeProvision[cloud] = f
			}
			continue
		}
		f, ok := figs[key]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s: not an assumption (want %s)", name, key, strings.Join(keys, ", ")))
			continue
		}
		if err := figureOf(name, key, &node, f); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Assumptions{}, err
	}
	if err := out.check(); err != nil {
		return Assumptions{}, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// figureOf replaces a figure's value (and source, where given) from a number or {value, source}.
func figureOf(file, key string, n *yaml.Node, f *capacity.Figure) error {
	var v float64
	source := "set by " + file
	if n.Kind == yaml.MappingNode {
		var m struct {
			Value  *float64 `yaml:"value"`
			Source string   `yaml:"source"`
		}
		if err := n.Decode(&m); err != nil || m.Value == nil {
			return fmt.Errorf("%s: %s: want a number or {value: N, source: TEXT}", file, key)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "value" && k != "source" {
				return fmt.Errorf("%s: %s.%s: not a field (want value, source)", file, key, k)
			}
		}
		v = *m.Value
		if m.Source != "" {
			source = m.Source
		}
	} else if err := n.Decode(&v); err != nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s: %s: %q is not a number (want a number or {value: N, source: TEXT})", file, key, n.Value)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > MaxSeconds {
		return fmt.Errorf("%s: %s: %v is out of range (want 0 to %d)", file, key, v, MaxSeconds)
	}
	f.Value, f.Source, f.Assumption = v, source, false
	return nil
}

// Changed names the figures that differ from assumptions.yaml's, each with its value and source,
// in the order of their keys: what a report says it assumed beyond the defaults.
func (a Assumptions) Changed() []string {
	def, err := Default()
	if err != nil {
		return nil
	}
	var out []string
	note := func(key string, f, was capacity.Figure) {
		if f.Value != was.Value || f.Source != was.Source {
			out = append(out, fmt.Sprintf("%s %s (%s)", key, strconv.FormatFloat(f.Value, 'f', -1, 64), f.Source))
		}
	}
	figs, defs := a.figures(), def.figures()
	for _, key := range slices.Sorted(mapsKeys(figs)) {
		note(key, *figs[key], *defs[key])
	}
	for _, cloud := range slices.Sorted(mapsKeys(a.NodeProvision)) {
		note("nodeProvisionSeconds."+cloud, a.NodeProvision[cloud], def.NodeProvision[cloud])
	}
	return out
}
