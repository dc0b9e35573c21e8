package simulate

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/capacity"
)

// seedBehavior is the 100K preset's HPA behavior: up by 4 pods or 100% each 30 s, whichever is
// more, at once; down by half a minute after 5 minutes of less load.
var seedBehavior = map[string]any{
	"scaleUp": map[string]any{"stabilizationWindowSeconds": 0.0, "selectPolicy": "Max", "policies": []any{
		map[string]any{"type": "Pods", "value": 4.0, "periodSeconds": 30.0},
		map[string]any{"type": "Percent", "value": 100.0, "periodSeconds": 30.0},
	}},
	"scaleDown": map[string]any{"stabilizationWindowSeconds": 300.0, "policies": []any{
		map[string]any{"type": "Percent", "value": 50.0, "periodSeconds": 60.0},
	}},
}

func testScaler(b behavior, min, max, replicas int) *scaler {
	s := &scaler{Scaler: capacity.Scaler{Name: "api", Role: "api", Pool: "app", Autoscaler: "api", ScaledOn: "cpu", Unit: "requests/s",
		Min: min, Max: max, PerUser: 1, PerPod: 100, Saturated: 160, CPU: 500, Memory: 256}, b: b, sync: 15, readyIn: 17, replicas: replicas, initial: replicas, figureAfter: 2}
	for range replicas {
		s.pods = append(s.pods, pod{scheduled: true, pool: "app", scrapes: 2})
	}
	return s
}

// read has every Ready pod of a CPU-scaled process read at a share of the target, then evaluates.
func (s *scaler) read(t, share float64) {
	s.perPodUse = share * s.PerPod
	s.scale(t, s.recommend(t, 0.1))
}

func roomy() map[string]*pool {
	return map[string]*pool{"app": {NodeShape: capacity.NodeShape{Name: "app", Min: 50, Max: 50, CPU: 4000, Memory: 8192, Pods: 110}, ready: 50}}
}

func assumptions(t *testing.T) Assumptions {
	a, err := Default()
	require.NoError(t, err)
	return a
}

// The HPA controller's algorithm, from Kubernetes' documentation: desired = ceil(current *
// metric / target), nothing within the 10% tolerance, and the default scale-up of 100% or 4
// pods a 15 s period, whichever is more.
func TestHPAAlgorithm(t *testing.T) {
	for _, c := range []struct {
		name             string
		metric           float64
		current, desired int
	}{
		{"twice the target doubles", 200, 1, 2},
		{"within the tolerance nothing moves", 105, 1, 1},
		{"just past it, it moves", 115, 2, 3},
		{"ten times the target from 1: 4 pods at most in the period", 1000, 1, 5},
		{"from 10 at twice: 100% in the period", 2000, 10, 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testScaler(kubernetesDefault, 1, 100, c.current)
			s.read(0, c.metric/100) // each pod at the metric
			assert.Equal(t, c.desired, s.replicas)
		})
	}
	// With pods still starting, the controller counts them as using nothing and checks the
	// tolerance again: 4 replicas, 2 Ready at 2.1 times the target, is 1.05 over all 4.
	s0 := testScaler(kubernetesDefault, 1, 100, 4)
	s0.pods[2], s0.pods[3] = pod{scheduled: true, readyAt: 30}, pod{}
	s0.read(0, 2.1)
	assert.Equal(t, 4, s0.replicas, "within the tolerance once the unready pods count")
	// A pod Ready without its second scrape has no figure yet: on the way up it counts as using
	// nothing (3 at 1.6 times over 4 is 1.2: 5 pods), on the way down as at the target.
	s1 := testScaler(kubernetesDefault, 1, 100, 4)
	s1.pods[3].scrapes = 1
	s1.read(0, 1.6)
	assert.Equal(t, 5, s1.replicas, "the pod without a figure counts as using nothing")
	s2 := testScaler(kubernetesDefault, 1, 100, 4)
	s2.pods[3].scrapes = 0
	s2.read(0, 0.8)
	assert.Equal(t, 4, s2.replicas, "3 at 0.8 and one at the target is 0.85 over 4, and rounds up to 4")

	// Scaling down waits out the stabilization window: the highest recommendation of the
	// last 5 minutes holds.
	s := testScaler(kubernetesDefault, 1, 100, 10)
	s.read(0, 1)
	s.read(15, 0.1)
	assert.Equal(t, 10, s.replicas, "down waits for the window")
	s.read(316, 0.1)
	assert.Equal(t, 1, s.replicas, "after it, the default lets 100% go in a period")
	assert.Equal(t, kubernetesDefault, behaviorOf(nil))
}

// Seed 000: the HPA took the API from 3 to 11 pods within 90 seconds. A step to the load that
// needs 11 pods, with the 100K preset's behavior and nodes with room, has 11 Ready in 60 to 120 s.
func TestSeedLaunchReachesElevenPods(t *testing.T) {
	a := assumptions(t)
	s := testScaler(behaviorOf(seedBehavior), 3, 30, 3)
	s.readyIn = a.ImagePullSeconds.Value + a.AppStartSeconds.Value + 2 // the startup probe's period
	curve := Curve{Name: "step", Points: []Point{{0, 300}, {1, 1100}, {600, 1100}}}
	res := Result{}
	loop(&res, []*scaler{s}, roomy(), []string{"app"}, nil, curve, a, 1, 1, 0)
	first := math.Inf(1)
	for _, row := range res.Timeline {
		if row.Processes["api"].Ready >= 11 {
			first = row.Second
			break
		}
	}
	assert.GreaterOrEqual(t, first, 60.0)
	assert.LessOrEqual(t, first, 120.0, "11 Ready pods after %v s", first)
}

// Pods past the nodes' room wait for a node: the node autoscaler adds what they need after its
// scan, and they are Ready once the nodes take pods.
func TestPendingPodsGetNodes(t *testing.T) {
	a := assumptions(t)
	s := testScaler(behaviorOf(seedBehavior), 3, 30, 3)
	pools := map[string]*pool{"app": {NodeShape: capacity.NodeShape{Name: "app", Min: 1, Max: 4, CPU: 2000, Memory: 8192, Pods: 110}, ready: 1, provision: 240}}
	curve := Curve{Name: "step", Points: []Point{{0, 300}, {1, 1100}, {900, 1100}}}
	res := Result{}
	loop(&res, []*scaler{s}, pools, []string{"app"}, nil, curve, a, 1, 60, 240)
	last := res.Timeline[len(res.Timeline)-1]
	assert.Equal(t, 3, last.Nodes["app"], "11 pods of half a CPU on nodes of 2: 3 nodes")
	assert.Equal(t, 11, last.Processes["api"].Ready)
	require.NotNil(t, pools["app"].short)
	assert.InDelta(t, 240+15, pools["app"].short.Seconds, 30, "pending for a scan and a node's provisioning")
}

func TestParseRamp(t *testing.T) {
	c, err := ParseRamp("20000->100000 in 2h")
	require.NoError(t, err)
	assert.Equal(t, []Point{{0, 20000}, {7200, 100000}}, c.Points)
	assert.Equal(t, 60000.0, c.At(3600))
	assert.Equal(t, 100000.0, c.At(9000), "the last point holds")
	c, err = ParseRamp(" 5_000 -> 850,000 in 10m ")
	require.NoError(t, err)
	assert.Equal(t, 850000.0, c.Peak())
	for in, want := range map[string]string{
		"":                       "is not FROM->TO in DURATION",
		"100->200":               "is not FROM->TO in DURATION",
		"0->200 in 1h":           `from: "0" is not a number of users`,
		"100->200 in soon":       `"soon" is not a duration`,
		"100->200 in -5m":        `"-5m" is not a duration`,
		"100->200 in 500ms":      `"500ms" is not a duration`,
		"100->200 in 9999h":      `"9999h" is not a duration`,
		"100->9999999999 in 1h":  `to: "9999999999" is not a number of users`,
		"100->2000000000 in 10m": `to: "2000000000" is not a number of users`,
	} {
		_, err := ParseRamp(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}

func TestParseTraffic(t *testing.T) {
	c, err := ParseTraffic("launch.yaml", []byte("points:\n  - {second: 0, users: 20000}\n  - {second: 600, users: 100000}\n  - {second: 7200, users: 100000}\n"))
	require.NoError(t, err)
	assert.Equal(t, 60000.0, c.At(300))
	for in, want := range map[string]string{
		"points: [{second: 0, users: 1}]":                                         "want at least 2",
		"points: [{second: 5, users: 1}, {second: 9, users: 2}]":                  "points.0.second: 5 (want the first point at second 0)",
		"points: [{second: 0, users: 1}, {second: 0, users: 2}]":                  "points.1.second: 0 is not after the point before",
		"points: [{second: 0, users: 1}, {second: 9, users: -2}]":                 "points.1.users: -2 is not a number of users",
		"points: [{second: 0, users: 1}, {second: 9, users: 2.5}]":                "points.1.users: 2.5 is not a number of users (want a whole number",
		"points: [{second: 0}, {second: 9, users: 2}]":                            "points.0: second and users are both required",
		"points: [{second: 0, users: 1}, {second: 9, users: 2}]\n---\npoints: []": "more than one YAML document",
		"points: [{second: 0, users: 1}, {second: .nan, users: 2}]":               "points.1.second: NaN is out of range",
		"points: [{second: 0, users: 1}, {second: 1e9, users: 2}]":                "points.1.second: 1e+09 is out of range",
		"points: [{second: 0, users: 1}, {second: 9, user: 2}]":                   "field user not found",
		"[1, 2]": "not a traffic file",
	} {
		_, err := ParseTraffic("t.yaml", []byte(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}

// No ramp or traffic file panics, loops for ever or yields a curve that is not finite.
func FuzzParseRamp(f *testing.F) {
	for _, s := range []string{"20000->100000 in 2h", "1->1 in 1s", "9->9 in 168h", "x", "1->2 in 1ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseRamp(s)
		if err != nil {
			return
		}
		checkCurve(t, c)
	})
}

func FuzzParseTraffic(f *testing.F) {
	f.Add("points: [{second: 0, users: 1}, {second: 60, users: 5}]")
	f.Add("points: [{second: 0, users: 1e9}, {second: 604800, users: 0}]")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseTraffic("f.yaml", []byte(s))
		if err != nil {
			return
		}
		checkCurve(t, c)
	})
}

func checkCurve(t *testing.T, c Curve) {
	t.Helper()
	require.GreaterOrEqual(t, len(c.Points), 2)
	require.LessOrEqual(t, c.End(), float64(MaxSeconds))
	for _, s := range []float64{0, c.End() / 2, c.End(), c.End() + 1} {
		u := c.At(s)
		require.False(t, math.IsNaN(u) || math.IsInf(u, 0), "users at %v: %v", s, u)
	}
}

// A run's assumptions file replaces figures key by key, and says where each came from.
func TestOverride(t *testing.T) {
	a := assumptions(t)
	b, err := a.Override("run.yaml", []byte("imagePullSeconds: 30\nappStartSeconds: {value: 12, source: the app's logs}\nnodeProvisionSeconds: {aws: 90}\n"))
	require.NoError(t, err)
	assert.Equal(t, 30.0, b.ImagePullSeconds.Value)
	assert.Equal(t, "set by run.yaml", b.ImagePullSeconds.Source)
	assert.False(t, b.ImagePullSeconds.Assumption)
	assert.Equal(t, capacity.Figure{Value: 12, Unit: a.AppStartSeconds.Unit, Source: "the app's logs"}, b.AppStartSeconds)
	assert.Equal(t, 90.0, b.NodeProvision["aws"].Value)
	assert.Equal(t, a.NodeProvision["digitalocean"], b.NodeProvision["digitalocean"])
	assert.Equal(t, 150.0, a.NodeProvision["aws"].Value, "the defaults stay as they were")
	assert.Equal(t, a.HPASyncSeconds, b.HPASyncSeconds)
	assert.Empty(t, a.Changed())
	assert.Equal(t, []string{"appStartSeconds 12 (the app's logs)", "imagePullSeconds 30 (set by run.yaml)", "nodeProvisionSeconds.aws 90 (set by run.yaml)"}, b.Changed())
	for _, bad := range []string{"[1, 2]", "hpaTolerance: 1.5", "nodeProvisionSeconds: 3", "imagePullSeconds: .nan", "a: 1\n---\nb: 2"} {
		_, err := a.Override("bad.yaml", []byte(bad))
		assert.Error(t, err, bad)
	}
}

// An assumptions file of any shape gives assumptions that pass check, or an error: never a
// panic, and never a NaN or negative figure.
func FuzzOverride(f *testing.F) {
	for _, s := range []string{"imagePullSeconds: 30\n", "appStartSeconds: {value: 12, source: logs}\n", "nodeProvisionSeconds: {aws: 90}\n", "figureScrapes: 2.5\n", "metricsOffsetSeconds: 20\n", "x: [1]\n", "hpaTolerance: .inf\n"} {
		f.Add(s)
	}
	a, err := Default()
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, doc string) {
		b, err := a.Override("fuzz.yaml", []byte(doc))
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		require.NoError(t, b.check())
		for name, fig := range b.figures() {
			require.False(t, math.IsNaN(fig.Value) || fig.Value < 0, name)
		}
	})
}

// A queue-scaled process, as KEDA's redis scaler and the HPA run it: the list's length over the
// jobs waiting per pod (listLength), against the pods the scale has; jobs beyond what the Ready
// pods take wait in the list, which the pods then take down at their whole rate.
func TestQueueScaling(t *testing.T) {
	worker := func(replicas int) *scaler {
		s := testScaler(kubernetesDefault, 1, 10, replicas)
		s.Name, s.Role, s.ScaledOn, s.Unit, s.QueueLength = "worker", "worker", "queue", "jobs/s", 20
		s.PerPod, s.Saturated = 10, 14
		return s
	}
	for _, c := range []struct {
		name             string
		listed           float64
		current, desired int
	}{
		{"100 waiting at 20 a pod: 5 pods", 100, 2, 5},
		{"42 waiting on 2 pods is within the tolerance", 42, 2, 2},
		{"an empty list: the minimum", 0, 3, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := worker(c.current)
			s.metric = c.listed
			assert.Equal(t, c.desired, max(s.recommend(0, 0.1), s.Min))
		})
	}
	// 2 Ready pods take 28 jobs a second; 40 arrive for 10 s: 120 wait, then at 20 a second
	// the list is empty 15 s later.
	s := worker(2)
	for t := 0.0; t < 10; t++ {
		s.queue(t, 1, 40, 28)
	}
	assert.InDelta(t, 120, s.backlog, 1e-9)
	for t := 10.0; t < 25; t++ {
		s.queue(t, 1, 20, 28)
	}
	assert.Zero(t, s.backlog)
	require.NotNil(t, s.short)
	assert.Equal(t, 24.0, s.short.Seconds, "jobs wait from the first step until the list is empty")
	assert.InDelta(t, 120, s.short.Refused, 1e-9, "the most that waited")
	assert.InDelta(t, 120.0/28, s.wait, 1e-9, "the longest wait: the list over the pods' rate")
	assert.Equal(t, "jobs wait in the queue, the longest about 5 s", s.short.Note)
}
