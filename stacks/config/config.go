// Package config is a stack's configuration: the scalestack:* keys of a Pulumi stack, parsed,
// checked and resolved onto a tier preset. It is pure (no Pulumi context), so the program, the
// command line and the tests all read a stack the same way.
package config

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/policies"
	"github.com/scalestack/scalestack/signals"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// Namespace is the Pulumi config namespace of this project.
const Namespace = "scalestack"

// The keys of a stack, without the namespace.
const (
	KeyCloud      = "cloud"
	KeyTier       = "tier"
	KeyRegion     = "region"
	KeyDomain     = "domain"
	KeyProtect    = "protect"
	KeyOverrides  = "overrides"
	KeyBudget     = "budget"
	KeyPolicies   = "policies"
	KeyApp        = "app"
	KeyKubeconfig = "kubeconfig"
	KeyZoneID     = "cloudflareZoneId"
	KeyAdminCIDRs = "adminCidrs"
	KeyCapacity   = "capacity"
	KeySLO        = "slo"
	KeyLaunch     = "launch"
	KeyAlerts     = "alerts"
)

// AWSRegionKey is the AWS provider's own region key. The program builds its own AWS provider in
// scalestack:region, so a stack may set aws:region only to the same region.
const AWSRegionKey = "aws:region"

// Keys lists every key this project reads. Any other scalestack:* key is an error, so that a
// typo is never silently ignored.
var Keys = []string{KeyCloud, KeyTier, KeyRegion, KeyDomain, KeyProtect, KeyOverrides, KeyBudget, KeyPolicies, KeyApp, KeyKubeconfig, KeyZoneID, KeyAdminCIDRs, KeyCapacity, KeySLO, KeyAlerts, KeyLaunch}

// BuiltClouds are the clouds the program builds today; the others are accepted names whose
// components have not landed, refused here with a clear message instead of half a stack.
var BuiltClouds = []spec.Cloud{spec.DigitalOcean, spec.AWS, spec.Local}

func cloudNames(cs []spec.Cloud) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// DefaultRegions is the region a cloud gets when scalestack:region is not set.
var DefaultRegions = map[spec.Cloud]string{
	spec.DigitalOcean: "nyc3",
	spec.AWS:          "us-east-1",
	spec.Local:        "local",
}

// Regions are the regions each cloud accepts. DigitalOcean's list is its regions with managed
// Kubernetes and databases; AWS's is its documented Region list, in aws-regions.yaml.
var doRegions = []string{"ams3", "atl1", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1"}

//go:embed aws-regions.yaml
var awsRegionsYAML []byte

// AWSRegion is one Region of AWS's list; OptIn ones must be enabled in the account first.
type AWSRegion struct {
	Code  string `yaml:"code"`
	Name  string `yaml:"name"`
	OptIn bool   `yaml:"optIn"`
}

// AWSRegions is aws-regions.yaml: every Region a stack may name on aws, with the list's source.
var AWSRegions = func() []AWSRegion {
	var doc struct {
		Source  string      `yaml:"source"`
		AsOf    string      `yaml:"as_of"`
		Regions []AWSRegion `yaml:"regions"`
	}
	if err := yaml.Unmarshal(awsRegionsYAML, &doc); err != nil || doc.Source == "" || len(doc.Regions) == 0 {
		panic(fmt.Sprintf("stacks/config: aws-regions.yaml is not a region list with its source: %v", err))
	}
	return doc.Regions
}()

func awsRegionCodes() []string {
	codes := make([]string, len(AWSRegions))
	for i, r := range AWSRegions {
		codes[i] = r.Code
	}
	return codes
}

var (
	zoneID   = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hostname = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// Config is one stack, resolved.
type Config struct {
	Cloud  spec.Cloud
	Tier   string
	Region string
	// Domain is the public domain the edge serves; empty for no edge.
	Domain string
	// Protect marks stateful resources (cluster, database, replicas, cache) protected, so the
	// engine refuses to delete them.
	Protect bool
	// Overrides is the scalestack:overrides object as given, merged onto the preset.
	Overrides map[string]any
	// Budget is the monthly ceiling `scalestack cost` holds the stack to, in whole US dollars;
	// zero for none. The program itself does not read it.
	Budget int
	// Policies overrides guardrail rules' enforcement levels, by rule name.
	Policies map[string]policies.Level
	// App is what the API, WebSocket and worker processes run (scalestack:app), with the
	// placeholder image where it names none.
	App spec.App
	// Kubeconfig is the local cloud's cluster: a kubeconfig's path or contents, handed to the
	// Kubernetes provider as it is. The provider never falls back to ~/.kube/config.
	Kubeconfig string
	// ZoneID is the Cloudflare zone of Domain: the edge is built when both are set. Given, not
	// looked up, so that a preview needs no Cloudflare call.
	ZoneID string
	// AdminCIDRs are the ranges allowed to reach the cluster's Kubernetes API (office, VPN, CI
	// runners); none leaves it open to every address, as before the key existed.
	AdminCIDRs spec.AdminCIDRs
	// CapacityOverrides is the scalestack:capacity object as given: figures of the load model
	// and the account's limits where they differ from the shipped ones.
	CapacityOverrides map[string]any
	// Capacity is the load model with CapacityOverrides applied.
	Capacity capacity.Model
	// SLOMilliseconds is the request latency the stack answers for at the alerts' quantile
	// (p99), from scalestack:slo; 200 by default (seed 001).
	SLOMilliseconds int
	// Alerts are where Alertmanager sends the alerts (scalestack:alerts, a secret); none shows
	// them in Alertmanager and Grafana only.
	Alerts signals.Receivers
	// Launch are the known spikes the stack pre-scales for (scalestack:launch).
	Launch []spec.LaunchWindow
	// AlertsEncrypted is true where the stack file keeps scalestack:alerts encrypted and the
	// offline commands, which decrypt nothing, cannot read its receivers.
	AlertsEncrypted bool
	// Preset is the tier preset with the overrides applied and defaults filled.
	Preset tiers.Preset
}

// MaxSLOMilliseconds bounds scalestack:slo: a minute.
const MaxSLOMilliseconds = 60_000

// Key returns a key with the namespace: scalestack:tier.
func Key(k string) string { return Namespace + ":" + k }

// Parse reads a stack's configuration from raw Pulumi config values (full keys such as
// "scalestack:tier" mapped to strings; objects as JSON, as Pulumi passes them to programs).
// Keys of other namespaces belong to providers and are left alone. Every problem is reported at
// once, each naming its key and the allowed values.
func Parse(raw map[string]string) (Config, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("stacks: config %q: %s", Key(key), fmt.Sprintf(format, args...)))
	}

	var unknown []string
	for k := range raw {
		ns, name, ok := strings.Cut(k, ":")
		if ok && ns == Namespace && !slices.Contains(Keys, name) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		_, name, _ := strings.Cut(k, ":")
		errs = append(errs, fmt.Errorf("stacks: config %q: not a scalestack key (want one of %s)%s", k, strings.Join(Keys, ", "), DidYouMean(name, Keys)))
	}

	var c Config
	cloud, hasCloud := raw[Key(KeyCloud)]
	if !hasCloud || cloud == "" {
		bad(KeyCloud, "is not set (want one of %s)", spec.CloudList())
	} else if parsed, err := spec.ParseCloud(cloud); err != nil {
		bad(KeyCloud, "%v", err)
	} else if !slices.Contains(BuiltClouds, parsed) {
		bad(KeyCloud, "%q is not built yet (want one of %s; the others are planned)", cloud, cloudNames(BuiltClouds))
	} else {
		c.Cloud = parsed
	}

	tier, hasTier := raw[Key(KeyTier)]
	if !hasTier || tier == "" {
		bad(KeyTier, "is not set (want one of %s)", tiers.List())
	} else if _, err := tiers.Raw(tier); err != nil {
		bad(KeyTier, "%v%s", err, DidYouMean(tier, tiers.Names))
	} else {
		c.Tier = tier
	}

	c.Region = raw[Key(KeyRegion)]
	if c.Cloud != "" {
		if c.Region == "" {
			c.Region = DefaultRegions[c.Cloud]
		} else if err := checkRegion(c.Cloud, c.Region); err != nil {
			bad(KeyRegion, "%v", err)
		}
	}
	// The program builds its own AWS provider in scalestack:region, so aws:region (which only
	// the default provider reads) would be ignored: it may only repeat scalestack:region.
	if ar := raw[AWSRegionKey]; c.Cloud == spec.AWS && ar != "" {
		switch own := raw[Key(KeyRegion)]; {
		case own == "":
			errs = append(errs, fmt.Errorf("stacks: config %q: %q is set without %s, the region scalestack builds in (want %s: %s, and aws:region removed or the same: scalestack ignores aws:region)", AWSRegionKey, ar, Key(KeyRegion), Key(KeyRegion), ar))
		case own != ar:
			errs = append(errs, fmt.Errorf("stacks: config %q: %q differs from %s %q, the region scalestack builds in (want one region: remove aws:region or set it to %s; scalestack ignores aws:region)", AWSRegionKey, ar, Key(KeyRegion), own, own))
		}
	}

	c.Domain = raw[Key(KeyDomain)]
	if c.Domain != "" && !hostname.MatchString(c.Domain) {
		bad(KeyDomain, "%q is not a domain name (want lowercase labels and a top-level domain, for example example.com)", c.Domain)
	}

	c.Protect = true
	if v, ok := raw[Key(KeyProtect)]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			bad(KeyProtect, "%q is not a boolean (want true or false)", v)
		} else {
			c.Protect = b
		}
	}

	if v, ok := raw[Key(KeyBudget)]; ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad(KeyBudget, "%q is not a whole number of dollars (want 0 for none, or a monthly ceiling such as 500)", v)
		} else {
			c.Budget = n
		}
	}

	c.ZoneID = raw[Key(KeyZoneID)]
	switch {
	case c.Domain != "" && c.ZoneID == "":
		bad(KeyZoneID, "is not set, and scalestack:domain is %q (want the zone's 32-character id from the Cloudflare dashboard: the edge needs both)", c.Domain)
	case c.ZoneID != "" && c.Domain == "":
		bad(KeyZoneID, "is set without scalestack:domain (want both, or neither for no edge)")
	case c.ZoneID != "" && !zoneID.MatchString(c.ZoneID):
		bad(KeyZoneID, "%q is not a Cloudflare zone id (want 32 lowercase hexadecimal characters)", c.ZoneID)
	}

	c.Kubeconfig = raw[Key(KeyKubeconfig)]
	switch {
	case c.Cloud == spec.Local && strings.TrimSpace(c.Kubeconfig) == "":
		bad(KeyKubeconfig, "is not set (want the path of a kubeconfig, or its contents, for the local cloud: scalestack never falls back to ~/.kube/config)")
	case c.Cloud != "" && c.Cloud != spec.Local && c.Kubeconfig != "":
		bad(KeyKubeconfig, "is set for %s (want it only for the local cloud: %s clusters come with their own kubeconfig)", c.Cloud, c.Cloud)
	}

	if v := strings.TrimSpace(raw[Key(KeyAdminCIDRs)]); v != "" {
		var list []string
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			bad(KeyAdminCIDRs, "is not a list of CIDRs (want for example [\"203.0.113.0/24\", \"198.51.100.7/32\"], or leave it unset for an API open to every address): %v", err)
		} else if err := spec.AdminCIDRs(list).Validate(""); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				bad(KeyAdminCIDRs, "%s", line)
			}
		} else if len(list) > 0 {
			if c.Cloud == spec.Local {
				bad(KeyAdminCIDRs, "is set for local (want it only on digitalocean or aws: the local cloud's cluster is not scalestack's to restrict)")
			}
			c.AdminCIDRs = list
		}
	}

	var app spec.App
	if v, ok := raw[Key(KeyApp)]; ok && strings.TrimSpace(v) != "" {
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&app); err != nil {
			bad(KeyApp, "is not an app object (want keys api, websocket, worker and queue; each process with image, command, port, healthPath, env, metrics, reads): %v", err)
		}
	}
	c.App = app.WithDefaults()
	if err := c.App.Validate(""); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			bad(KeyApp, "%s", line)
		}
	}

	if v, ok := raw[Key(KeyPolicies)]; ok {
		levels, err := policies.ParseLevels(v)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				bad(KeyPolicies, "%s", line)
			}
		} else if len(levels) > 0 {
			// An empty object is no levels, as Raw renders it: the config round-trips.
			c.Policies = levels
		}
	}

	if v, ok := raw[Key(KeyOverrides)]; ok && strings.TrimSpace(v) != "" {
		var obj any
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			bad(KeyOverrides, "is not a JSON or YAML object: %v", err)
		} else if m, ok := obj.(map[string]any); !ok {
			bad(KeyOverrides, "is a %s (want an object such as {\"database\": {\"replicas\": 3}})", kindOf(obj))
		} else if len(m) > 0 {
			c.Overrides = m
		}
	}

	c.SLOMilliseconds = signals.DefaultSLOMilliseconds
	if v, ok := raw[Key(KeySLO)]; ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > MaxSLOMilliseconds {
			bad(KeySLO, "%q is not a latency in whole milliseconds (want 1 to %d; default %d, seed 001's p99)", v, MaxSLOMilliseconds, signals.DefaultSLOMilliseconds)
		} else {
			c.SLOMilliseconds = n
		}
	}

	if raw[Key(KeyAlerts)] == SecretPlaceholder {
		c.AlertsEncrypted = true
	} else if v, ok := raw[Key(KeyAlerts)]; ok && strings.TrimSpace(v) != "" {
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		want := "want an object of slack, slackChannel, pagerduty, email and smtp, for example {\"slack\": \"https://hooks.slack.com/services/...\", \"slackChannel\": \"#alerts\"}; set it with pulumi config set --secret"
		var extra json.RawMessage
		if err := dec.Decode(&c.Alerts); err != nil {
			bad(KeyAlerts, "is not an alerts object (%s): %v", want, err)
		} else if strings.TrimSpace(v) == "null" {
			bad(KeyAlerts, "is null (%s)", want)
		} else if err := dec.Decode(&extra); err != io.EOF {
			bad(KeyAlerts, "has more after its object (%s)", want)
		} else if err := c.Alerts.Validate(""); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				bad(KeyAlerts, "%s", line)
			}
		} else if c.Cloud == spec.DigitalOcean && c.Alerts.Slack != "" && c.Alerts.SlackChannel == "" {
			bad(KeyAlerts, "slackChannel: is not set, and slack is (want the channel the webhook posts to, for example #alerts: DigitalOcean's alert policies name it)")
		}
	}

	if v, ok := raw[Key(KeyLaunch)]; ok && strings.TrimSpace(v) != "" {
		for _, line := range parseLaunch(v, &c.Launch) {
			bad(KeyLaunch, "%s", line)
		}
	}

	model, err := capacity.Default()
	if err != nil {
		return Config{}, err
	}
	c.Capacity = model
	if v, ok := raw[Key(KeyCapacity)]; ok && strings.TrimSpace(v) != "" {
		var obj any
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			bad(KeyCapacity, "is not a JSON or YAML object: %v", err)
		} else if m, ok := obj.(map[string]any); !ok {
			bad(KeyCapacity, "is a %s (want an object such as {\"limits\": {\"digitalocean\": {\"droplets\": 100}}})", kindOf(obj))
		} else if len(m) > 0 {
			if c.Capacity, err = model.Override(m, Key(KeyCapacity)); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					bad(KeyCapacity, "%s", line)
				}
			}
			c.CapacityOverrides = m
		}
	}

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	preset, err := Resolve(c.Tier, c.Overrides)
	if err != nil {
		return Config{}, err
	}
	if err := preset.Validate(c.Cloud); err != nil {
		return Config{}, prefixEach(err, fmt.Sprintf("stacks: tier %s", c.Tier), len(c.Overrides) > 0)
	}
	if c.Domain != "" && !preset.Workloads.Addons.Ingress {
		return Config{}, fmt.Errorf("stacks: config %q: the edge for %q needs the ingress add-on, which workloads.addons.ingress turns off (want it on, or no domain)", Key(KeyDomain), c.Domain)
	}
	if len(c.Launch) > 0 && !preset.Workloads.Addons.KEDA {
		return Config{}, fmt.Errorf("stacks: config %q: needs KEDA to raise the minimums for a window, and workloads.addons.keda is off (want it on)", Key(KeyLaunch))
	}
	c.Preset = preset
	return c, nil
}

// Raw renders the configuration back to raw Pulumi config values, the inverse of Parse.
func (c Config) Raw() map[string]string {
	raw := map[string]string{
		Key(KeyCloud):   string(c.Cloud),
		Key(KeyTier):    c.Tier,
		Key(KeyRegion):  c.Region,
		Key(KeyProtect): strconv.FormatBool(c.Protect),
	}
	if c.Domain != "" {
		raw[Key(KeyDomain)] = c.Domain
	}
	if c.Budget != 0 {
		raw[Key(KeyBudget)] = strconv.Itoa(c.Budget)
	}
	if c.Kubeconfig != "" {
		raw[Key(KeyKubeconfig)] = c.Kubeconfig
	}
	if c.ZoneID != "" {
		raw[Key(KeyZoneID)] = c.ZoneID
	}
	if len(c.AdminCIDRs) > 0 {
		b, _ := json.Marshal(c.AdminCIDRs) // a list of strings always encodes
		raw[Key(KeyAdminCIDRs)] = string(b)
	}
	if b, err := json.Marshal(c.App); err == nil {
		raw[Key(KeyApp)] = string(b)
	}
	if len(c.Policies) > 0 {
		b, _ := json.Marshal(c.Policies) // a map of strings always encodes
		raw[Key(KeyPolicies)] = string(b)
	}
	if len(c.Overrides) > 0 {
		b, _ := json.Marshal(c.Overrides) // a map decoded from JSON always encodes
		raw[Key(KeyOverrides)] = string(b)
	}
	if len(c.CapacityOverrides) > 0 {
		b, _ := json.Marshal(c.CapacityOverrides) // a map decoded from JSON always encodes
		raw[Key(KeyCapacity)] = string(b)
	}
	if c.SLOMilliseconds != 0 && c.SLOMilliseconds != signals.DefaultSLOMilliseconds {
		raw[Key(KeySLO)] = strconv.Itoa(c.SLOMilliseconds)
	}
	if !c.Alerts.Empty() {
		b, _ := json.Marshal(c.Alerts) // strings only: always encodes
		raw[Key(KeyAlerts)] = string(b)
	}
	if len(c.Launch) > 0 {
		type window struct {
			Start    string `json:"start"`
			Duration string `json:"duration"`
			Users    int    `json:"users"`
		}
		var ws []window
		for _, w := range c.Launch {
			ws = append(ws, window{w.Start.Format(time.RFC3339Nano), w.Duration.String(), w.Users})
		}
		b, _ := json.Marshal(ws) // strings and numbers: always encodes
		raw[Key(KeyLaunch)] = string(b)
	}
	return raw
}

func checkRegion(c spec.Cloud, region string) error {
	switch c {
	case spec.DigitalOcean:
		if !slices.Contains(doRegions, region) {
			return fmt.Errorf("%q is not a DigitalOcean region with Kubernetes and databases (want one of %s)%s", region, strings.Join(doRegions, ", "), DidYouMean(region, doRegions))
		}
	case spec.AWS:
		if codes := awsRegionCodes(); !slices.Contains(codes, region) {
			return fmt.Errorf("%q is not an AWS region (want one of %s)%s", region, strings.Join(codes, ", "), DidYouMean(region, codes))
		}
	case spec.Local:
		if region != DefaultRegions[spec.Local] {
			return fmt.Errorf("%q is not the local cloud's region (want %s, or leave it unset)", region, DefaultRegions[spec.Local])
		}
	}
	return nil
}

// prefixEach rewrites a joined validation error so that each line names where it came from.
func prefixEach(err error, where string, overridden bool) error {
	source := where
	if overridden {
		source += fmt.Sprintf(" with %s", Key(KeyOverrides))
	}
	var out []error
	for _, line := range strings.Split(err.Error(), "\n") {
		out = append(out, fmt.Errorf("%s: %s", source, line))
	}
	return errors.Join(out...)
}

// PolicyOptions are the guardrails' options for this stack: its tier, region, budget, edge and
// thresholds, its rule levels, and its cloud and load model for account-limits.
func (c Config) PolicyOptions() (policies.Options, error) {
	opts, err := policies.OptionsFor(c.Tier, c.Region, c.Budget, c.Domain, c.Preset.Edge.Plan, c.Preset.Policies, c.Policies)
	if err != nil {
		return policies.Options{}, err
	}
	model := c.Capacity
	opts.Cloud, opts.Capacity = c.Cloud, &model
	return opts, nil
}

// SecretKeys are the keys whose values are credentials: set in plain text, they would sit
// readable in the stack file and its history.
var SecretKeys = []string{KeyAlerts}

// CheckSecrets refuses a credential key set in plain text; secure lists the keys the stack
// keeps encrypted (its file's secure values, or the engine's secret keys).
func CheckSecrets(raw map[string]string, secure func(key string) bool) error {
	var errs []error
	for _, k := range SecretKeys {
		v := strings.TrimSpace(raw[Key(k)])
		if v == "" || v == "{}" || secure(Key(k)) {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: is set in plain text (want it encrypted: pulumi config set --secret %s '...'; it holds webhooks, routing keys and passwords)", Key(k), Key(k)))
	}
	return errors.Join(errs...)
}

// parseLaunch reads scalestack:launch: a list of {start, duration, users}; every problem is a
// line naming the window's field.
func parseLaunch(v string, into *[]spec.LaunchWindow) []string {
	want := `want a list such as [{"start": "2026-12-24T18:00:00Z", "duration": "2h", "users": 100000}]`
	var raw []struct {
		Start    string `json:"start"`
		Duration string `json:"duration"`
		Users    *int   `json:"users"`
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return []string{fmt.Sprintf("is not a list of launch windows (%s): %v", want, err)}
	}
	var out []string
	if len(raw) > spec.MaxLaunchWindows {
		out = append(out, fmt.Sprintf("has %d windows (want at most %d)", len(raw), spec.MaxLaunchWindows))
	}
	for i, w := range raw {
		at := fmt.Sprintf("%d.", i)
		start, err := time.Parse(time.RFC3339, w.Start)
		if err != nil {
			out = append(out, fmt.Sprintf("%sstart: %q is not a time (want RFC 3339, for example 2026-12-24T18:00:00Z)", at, w.Start))
		}
		d, err := time.ParseDuration(w.Duration)
		if err != nil || d < spec.MinLaunchDuration || d > spec.MaxLaunchDuration {
			out = append(out, fmt.Sprintf("%sduration: %q is not a duration from %s to %s (want a Go duration such as 90m or 2h)", at, w.Duration, spec.MinLaunchDuration, spec.MaxLaunchDuration))
		}
		if w.Users == nil || *w.Users < 1 || *w.Users > capacity.MaxUsers {
			n := "missing"
			if w.Users != nil {
				n = strconv.Itoa(*w.Users)
			}
			out = append(out, fmt.Sprintf("%susers: %s (want the concurrent users expected, 1 to %d)", at, n, capacity.MaxUsers))
			continue
		}
		*into = append(*into, spec.LaunchWindow{Start: start.UTC(), Duration: d, Users: *w.Users})
	}
	return out
}
