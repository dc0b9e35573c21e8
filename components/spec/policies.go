package spec

// Policies are a tier's guardrail thresholds: data in the preset files, read by package policies
// through its Options.
type Policies struct {
	// MinReplicas is the fewest replicas every Deployment runs at this tier, so that a node
	// drain keeps it serving; zero (or absent) for no floor.
	MinReplicas int `yaml:"minReplicas"`
}
