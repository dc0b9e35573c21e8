package signals

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
)

// Scenario is a promtool unit test: series as the exporters serve them, and which alerts fire.
type Scenario struct {
	Name string `json:"name"`
	// Series are input series (a selector and promtool's expanding notation), one a minute.
	Series map[string]string `json:"series"`
	// Fires are the alerts that fire at EvalMinutes, and none other; none fires at
	// QuietMinutes, a minute before the firing rule's duration has passed.
	Fires        []Firing `json:"fires"`
	EvalMinutes  int      `json:"evalMinutes"`
	QuietMinutes int      `json:"quietMinutes"`
}

// Firing is one firing alert with its labels and annotations as Prometheus renders them.
type Firing struct {
	Alert       string            `json:"alert"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// settle is how long after a scenario starts an alert's duration is counted from: rates read
// five minutes of samples.
const settle = 7

// fire adds the scenario in which one rule fires: the quiet stack with some series changed,
// the rule's expression then evaluating to value.
func (b *builder) fire(rule Rule, dur capacity.Figure, name string, change map[string]string, value float64) {
	b.fireWith(rule, dur, name, change, value, nil)
}

func (b *builder) fireWith(rule Rule, dur capacity.Figure, name string, change map[string]string, value float64, seriesLabels map[string]string) {
	labels := maps.Clone(rule.Labels)
	maps.Copy(labels, seriesLabels)
	ann := map[string]string{}
	for k, v := range rule.Annotations {
		ann[k] = render(v, value, seriesLabels)
	}
	b.scenarios = append(b.scenarios, Scenario{
		Name:        name,
		Series:      change, // the quiet series are added in set(), once all are known
		Fires:       []Firing{{Alert: rule.Alert, Labels: labels, Annotations: ann}},
		EvalMinutes: int(dur.Value) + settle,
		// A minute before the rule's duration has passed it must not fire yet: a shorter
		// duration than thresholds.yaml's fails the test.
		QuietMinutes: max(1, int(dur.Value)-1),
	})
}

var template = regexp.MustCompile(`\{\{ (\$value \| (humanizePercentage|humanize)|\$labels\.([a-z_]+)) \}\}`)

// render expands the templates the rules use as Prometheus does.
func render(text string, value float64, labels map[string]string) string {
	return template.ReplaceAllStringFunc(text, func(m string) string {
		g := template.FindStringSubmatch(m)
		switch {
		case g[2] == "humanizePercentage":
			return fmt.Sprintf("%.4g%%", value*100)
		case g[2] == "humanize":
			return humanize(value)
		default:
			return labels[g[3]]
		}
	})
}

// humanize is Prometheus's template function of the name: four significant digits and an SI
// prefix.
func humanize(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v)
	}
	prefix := ""
	if math.Abs(v) >= 1 {
		for _, p := range []string{"k", "M", "G", "T", "P", "E", "Z", "Y"} {
			if math.Abs(v) < 1000 {
				break
			}
			prefix, v = p, v/1000
		}
		return fmt.Sprintf("%.4g%s", v, prefix)
	}
	for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
		if math.Abs(v) >= 1 {
			break
		}
		prefix, v = p, v*1000
	}
	return fmt.Sprintf("%.4g%s", v, prefix)
}

// set finishes the signals: the groups, and every scenario over the quiet stack.
func (b *builder) set() (Set, error) {
	s := Set{Alerts: b.alerts}
	if len(b.outgrow) > 0 {
		s.Groups = append(s.Groups, Group{Name: "scalestack-outgrowing", Rules: b.outgrow})
	}
	if len(b.broke) > 0 {
		s.Groups = append(s.Groups, Group{Name: "scalestack-broken", Rules: b.broke})
	}
	quiet := Scenario{Name: "a quiet stack", Series: maps.Clone(b.quiet), Fires: []Firing{}, EvalMinutes: 30, QuietMinutes: 1}
	s.Scenarios = append(s.Scenarios, quiet)
	for _, sc := range b.scenarios {
		series := maps.Clone(b.quiet)
		maps.Copy(series, sc.Series)
		sc.Series = series
		s.Scenarios = append(s.Scenarios, sc)
	}
	s.Dashboards = b.dashboards()
	s.Alarms = CloudAlarms(b.st, b.r, b.m, b.t, b.o)
	if s.Alarms == nil {
		s.Alarms = []Alarm{}
	}
	return s, nil
}

// RulesFile is the rules as a Prometheus rules file: what a PrometheusRule's spec holds, and
// what promtool checks.
func (s Set) RulesFile() ([]byte, error) {
	return yaml.Marshal(map[string]any{"groups": s.Groups})
}

// TestFile is the scenarios as a promtool test file over rulesFile: each scenario asserts, for
// every alert of the set, exactly the alerts that fire.
func (s Set) TestFile(rulesFile string) ([]byte, error) {
	var names []string
	for _, r := range s.Rules() {
		if !slices.Contains(names, r.Alert) {
			names = append(names, r.Alert)
		}
	}
	type exp struct {
		Labels      map[string]string `yaml:"exp_labels"`
		Annotations map[string]string `yaml:"exp_annotations"`
	}
	type alertTest struct {
		EvalTime  string `yaml:"eval_time"`
		AlertName string `yaml:"alertname"`
		ExpAlerts []exp  `yaml:"exp_alerts"`
	}
	type series struct {
		Series string `yaml:"series"`
		Values string `yaml:"values"`
	}
	type test struct {
		Name        string      `yaml:"name"`
		Interval    string      `yaml:"interval"`
		InputSeries []series    `yaml:"input_series"`
		AlertTests  []alertTest `yaml:"alert_rule_test"`
	}
	var tests []test
	for _, sc := range s.Scenarios {
		t := test{Name: sc.Name, Interval: "1m"}
		for _, k := range slices.Sorted(maps.Keys(sc.Series)) {
			t.InputSeries = append(t.InputSeries, series{Series: k, Values: sc.Series[k]})
		}
		for _, name := range names {
			t.AlertTests = append(t.AlertTests, alertTest{EvalTime: fmt.Sprintf("%dm", sc.QuietMinutes), AlertName: name, ExpAlerts: []exp{}})
			want := []exp{}
			for _, f := range sc.Fires {
				if f.Alert == name {
					want = append(want, exp{Labels: f.Labels, Annotations: f.Annotations})
				}
			}
			t.AlertTests = append(t.AlertTests, alertTest{EvalTime: fmt.Sprintf("%dm", sc.EvalMinutes), AlertName: name, ExpAlerts: want})
		}
		tests = append(tests, t)
	}
	return yaml.Marshal(map[string]any{
		"rule_files":          []string{rulesFile},
		"evaluation_interval": "1m",
		"tests":               tests,
	})
}

// Expressions are every PromQL expression of the set: its rules' and its dashboards' panels'.
func (s Set) Expressions() []string {
	var out []string
	for _, r := range s.Rules() {
		out = append(out, r.Expr)
	}
	for _, d := range s.Dashboards {
		for _, p := range d.Panels {
			for _, t := range p.Targets {
				out = append(out, t.Expr)
			}
		}
	}
	return out
}

// Markdown is the README's alert table of a set.
func (s Set) Markdown() string {
	var b strings.Builder
	b.WriteString("| Alert | Kind | Severity | Fires at |\n|---|---|---|---|\n")
	for _, a := range s.Alerts {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", a.Name, strings.ToLower(a.Name), a.Kind, a.Severity, a.Threshold)
	}
	return b.String()
}
