package signals

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/stacks/tiers"
)

var clouds = []spec.Cloud{spec.DigitalOcean, spec.AWS, spec.Local}

// goldenPlan is the stacks package's golden plan of a cloud and tier: what the program
// registers, so that these tests read the real presets without linking a cloud SDK.
func goldenPlan(t testing.TB, cloud spec.Cloud, tier string) plan.Plan {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "stacks", "testdata", "plan-"+string(cloud)+"-"+tier+".json"))
	require.NoError(t, err)
	var p plan.Plan
	require.NoError(t, json.Unmarshal(b, &p))
	return p
}

func model(t testing.TB) capacity.Model {
	t.Helper()
	m, err := capacity.Default()
	require.NoError(t, err)
	return m
}

// signalsOf builds a golden plan's signals at its preset's users, with the report they read.
func signalsOf(t testing.TB, cloud spec.Cloud, tier string, m capacity.Model) (Set, capacity.Report) {
	t.Helper()
	pre, err := tiers.Load(tier)
	require.NoError(t, err)
	base, err := tiers.BaselineUsers(tier, pre.Users)
	require.NoError(t, err)
	s, r, err := ForPlan(goldenPlan(t, cloud, tier), m, Options{Cloud: cloud, Tier: tier, Next: tiers.Next(tier), SLOMilliseconds: DefaultSLOMilliseconds, Namespace: "scalestack"}, pre.Users, base)
	require.NoError(t, err)
	return s, r
}

func rulesOf(s Set, alert string) []Rule {
	var out []Rule
	for _, r := range s.Rules() {
		if r.Alert == alert {
			out = append(out, r)
		}
	}
	return out
}

func TestShippedThresholdsHaveSources(t *testing.T) {
	_, err := DefaultThresholds()
	require.NoError(t, err)
	srcs, err := Sources()
	require.NoError(t, err)
	for _, s := range srcs {
		assert.NotEmpty(t, s.Source, s.Name)
		assert.NotEmpty(t, s.Metrics, s.Name)
	}
}

// Every preset with monitoring gets the alerts of the parts it has, and each outgrowing alert
// names the next tier and the command that switches to it.
func TestEveryPresetHasItsAlerts(t *testing.T) {
	m := model(t)
	for _, cloud := range clouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				s, _ := signalsOf(t, cloud, tier, m)
				var names []string
				for _, a := range s.Alerts {
					names = append(names, a.Name)
				}
				want := []string{AlertAutoscaler, AlertConnections, AlertEvictions, AlertCrash, AlertDown, AlertErrors, AlertLatency}
				if cloud != spec.Local {
					want = append(want, AlertPool)
				} else {
					want = append(want, AlertDatabaseCPU)
				}
				if cloud != spec.DigitalOcean {
					want = append(want, AlertWaiting)
				}
				if tier != "1k" {
					want = append(want, AlertAPILatency, AlertSockets, AlertQueue, AlertCache)
				}
				if tier == "100k" || tier == "1m" {
					want = append(want, AlertLag)
				}
				for _, w := range want {
					assert.Contains(t, names, w)
				}
				next := tiers.Next(tier)
				for _, r := range s.Rules() {
					assert.Equal(t, tier, r.Labels["tier"])
					assert.Equal(t, RunbookAnchor(r.Alert), r.Annotations["runbook_url"])
					assert.NotEmpty(t, r.Annotations["summary"])
					if r.Labels["kind"] != Outgrowing {
						assert.Equal(t, "critical", r.Labels["severity"], r.Alert)
						continue
					}
					assert.Equal(t, "warning", r.Labels["severity"], r.Alert)
					if next == "" {
						assert.NotContains(t, r.Labels, "next_tier")
						assert.Contains(t, r.Annotations["description"], "1m is the largest preset", r.Alert)
					} else {
						assert.Equal(t, next, r.Labels["next_tier"], r.Alert)
						assert.Equal(t, "pulumi config set scalestack:tier "+next, r.Annotations["command"], r.Alert)
					}
				}
			})
		}
	}
}

// The limits are the capacity report's: the open WebSockets the preset carries, the database's
// connections, the cache's usable memory; and the database's CPU target is the model's.
func TestLimitsAreTheCapacityModels(t *testing.T) {
	m := model(t)
	s, r := signalsOf(t, spec.DigitalOcean, "100k", m)
	th, err := DefaultThresholds()
	require.NoError(t, err)
	sockets := rulesOf(s, AlertSockets)
	require.Len(t, sockets, 1)
	ws := -1.0
	for _, p := range r.Parts {
		if p.Unit == "sockets" && !p.Elastic && (ws < 0 || p.Ceiling.Capacity < ws) {
			ws = p.Ceiling.Capacity
		}
	}
	assert.True(t, strings.HasSuffix(sockets[0].Expr, "> "+num(th.Near.Value*ws)), sockets[0].Expr)
	conns := rulesOf(s, AlertConnections)
	require.Len(t, conns, 1)
	for _, p := range r.Parts {
		if p.Kind == "database-connections" {
			assert.Contains(t, conns[0].Expr, "/ "+num(p.Ceiling.Capacity)+" > ")
		}
	}

	// A model the stack overrides moves the alert with it.
	over, err := m.Override(map[string]any{"parts": map[string]any{"database": map[string]any{"cpuTarget": 0.6}}}, "test")
	require.NoError(t, err)
	local, _ := signalsOf(t, spec.Local, "100k", over)
	cpu := rulesOf(local, AlertDatabaseCPU)
	require.Len(t, cpu, 1)
	assert.True(t, strings.HasSuffix(cpu[0].Expr, "> 0.6"), cpu[0].Expr)
	assert.Contains(t, cpu[0].Annotations["description"], "60%")
}

// Every rule has a scenario in which it alone fires, and the quiet stack fires nothing.
func TestScenariosFireOneAlertEach(t *testing.T) {
	m := model(t)
	for _, cloud := range clouds {
		for _, tier := range tiers.Names {
			s, _ := signalsOf(t, cloud, tier, m)
			require.Len(t, s.Scenarios, len(s.Rules())+1, "%s %s", cloud, tier)
			assert.Empty(t, s.Scenarios[0].Fires)
			covered := map[string]int{}
			for _, sc := range s.Scenarios[1:] {
				require.Len(t, sc.Fires, 1, sc.Name)
				f := sc.Fires[0]
				i := slices.IndexFunc(s.Rules(), func(r Rule) bool { return r.Alert == f.Alert && r.Labels["part"] == f.Labels["part"] })
				require.GreaterOrEqual(t, i, 0, "%s: no rule %s for %s", sc.Name, f.Alert, f.Labels["part"])
				covered[f.Alert+"/"+f.Labels["part"]]++
				for k, v := range s.Rules()[i].Labels {
					assert.Equal(t, v, f.Labels[k], "%s %s", sc.Name, k)
				}
				for k, v := range f.Annotations {
					assert.NotContains(t, v, "{{", "%s: %s is rendered", sc.Name, k)
				}
				assert.Greater(t, sc.EvalMinutes, sc.QuietMinutes)
			}
			for _, r := range s.Rules() {
				assert.Equal(t, 1, covered[r.Alert+"/"+r.Labels["part"]], "%s %s: %s for %s fires in one scenario", cloud, tier, r.Alert, r.Labels["part"])
			}
			test, err := s.TestFile("rules.yaml")
			require.NoError(t, err)
			var doc map[string]any
			require.NoError(t, yaml.Unmarshal(test, &doc))
			assert.Len(t, doc["tests"], len(s.Scenarios))
		}
	}
}

// humanize is Prometheus's: four significant digits and SI prefixes.
func TestHumanize(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1: "1", 12: "12", 127500: "127.5k", 1.5e6: "1.5M", 0.25: "250m", 398: "398", 0.0021: "2.1m"} {
		assert.Equal(t, want, humanize(v), fmt.Sprint(v))
	}
	assert.Equal(t, "75% of 3", render("{{ $value | humanizePercentage }} of {{ $labels.n }}", 0.75, map[string]string{"n": "3"}))
}

func TestAlertmanagerConfig(t *testing.T) {
	b, err := AlertmanagerConfig(Receivers{Slack: "https://hooks.slack.com/services/T/B/X", PagerDuty: strings.Repeat("a", 32),
		Email: "oncall@example.com", SMTP: &SMTP{Smarthost: "smtp.example.com:587", From: "alerts@example.com", Username: "u", Password: "p"}})
	require.NoError(t, err)
	var cfg struct {
		Route struct {
			Receiver string           `yaml:"receiver"`
			Routes   []map[string]any `yaml:"routes"`
		} `yaml:"route"`
		Receivers []map[string]any `yaml:"receivers"`
	}
	require.NoError(t, yaml.Unmarshal(b, &cfg))
	assert.Equal(t, "scalestack", cfg.Route.Receiver)
	require.Len(t, cfg.Receivers, 2)
	for _, k := range []string{"slack_configs", "pagerduty_configs", "email_configs"} {
		assert.Contains(t, cfg.Receivers[1], k)
	}
	_, err = AlertmanagerConfig(Receivers{Email: "oncall@example.com"})
	require.ErrorContains(t, err, "alerts.smtp: is not set, and email is")
	assert.True(t, Receivers{}.Empty())
}

// Every alert of every preset has a row in the README's runbook, under its own heading.
func TestReadmeRunbookHasEveryAlert(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	readme := string(b)
	m := model(t)
	var seen []string
	for _, cloud := range clouds {
		for _, tier := range tiers.Names {
			s, _ := signalsOf(t, cloud, tier, m)
			for _, a := range s.Alerts {
				if slices.Contains(seen, a.Name) {
					continue
				}
				seen = append(seen, a.Name)
				assert.True(t, strings.Contains(readme, "#### "+a.Name+"\n"), "README.md has no runbook heading for %s", a.Name)
			}
		}
	}
}

// The cloud's alarms: the database's CPU at the model's target always, the rest only where
// monitoring is off, none on the local cloud.
func TestCloudAlarms(t *testing.T) {
	m := model(t)
	names := func(s Set) []string {
		var out []string
		for _, a := range s.Alarms {
			out = append(out, a.Name)
		}
		return out
	}
	do1k, _ := signalsOf(t, spec.DigitalOcean, "1k", m)
	assert.ElementsMatch(t, []string{"database-cpu", "database-memory", "node-cpu", "node-memory", "cache-memory"}, names(do1k))
	assert.Equal(t, 70.0, do1k.Alarms[0].Threshold)
	assert.Contains(t, do1k.Alarms[0].Summary, "pulumi config set scalestack:tier 10k")
	aws1k, _ := signalsOf(t, spec.AWS, "1k", m)
	assert.ElementsMatch(t, []string{"database-cpu", "database-connections", "cache-evictions", "cache-memory"}, names(aws1k))
	aws100k, _ := signalsOf(t, spec.AWS, "100k", m)
	assert.Equal(t, []string{"database-cpu"}, names(aws100k))
	local, _ := signalsOf(t, spec.Local, "1k", m)
	assert.Empty(t, local.Alarms)
}

// BenchmarkSignals makes the signals of every cloud's and tier's golden plan: the part of a
// plan or an up that the program's second, offline run does not already pay for.
func BenchmarkSignals(b *testing.B) {
	m := model(b)
	type stack struct {
		p          plan.Plan
		o          Options
		users, low int
	}
	var all []stack
	for _, cloud := range clouds {
		for _, tier := range tiers.Names {
			pre, err := tiers.Load(tier)
			require.NoError(b, err)
			base, err := tiers.BaselineUsers(tier, pre.Users)
			require.NoError(b, err)
			all = append(all, stack{goldenPlan(b, cloud, tier), Options{Cloud: cloud, Tier: tier, Next: tiers.Next(tier), SLOMilliseconds: DefaultSLOMilliseconds, Namespace: "scalestack"}, pre.Users, base})
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for _, s := range all {
			if _, _, err := ForPlan(s.p, m, s.o, s.users, s.low); err != nil {
				b.Fatal(err)
			}
		}
	}
}
