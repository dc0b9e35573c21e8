package upgrade

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Disruption is what changing some inputs of a type does to live connections.
type Disruption struct {
	Type   string   `yaml:"type"`
	Paths  []string `yaml:"paths"`
	What   string   `yaml:"what"`
	Why    string   `yaml:"why"`
	Source string   `yaml:"source"`
}

//go:embed disruptions.yaml
var disruptionData string

// Disruptions reads disruptions.yaml; every entry must say what, why and where it was read.
var Disruptions = sync.OnceValues(func() ([]Disruption, error) {
	var ds []Disruption
	dec := yaml.NewDecoder(strings.NewReader(disruptionData))
	dec.KnownFields(true)
	if err := dec.Decode(&ds); err != nil {
		return nil, fmt.Errorf("upgrade: disruptions.yaml: %w", err)
	}
	for i, d := range ds {
		if d.Type == "" || len(d.Paths) == 0 || d.What == "" || d.Why == "" || d.Source == "" {
			return nil, fmt.Errorf("upgrade: disruptions.yaml: entry %d: type, paths, what, why and source are required", i)
		}
	}
	return ds, nil
})
