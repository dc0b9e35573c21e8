// Package rightsize compares the Vertical Pod Autoscaler's recommendations in a cluster with the
// requests a stack's plan gives its pods, and says which to change and where (the preset key a
// stack overrides in scalestack:overrides). It reads the cluster and changes nothing.
package rightsize

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// Workload is a Deployment or StatefulSet the plan gives a VerticalPodAutoscaler, with its
// containers' requests where the plan sets them.
type Workload struct {
	Namespace, Kind, Name string
	// Key is the preset's key of its requests (workloads.api.resources); empty for a chart's
	// own workload, whose requests are the chart's.
	Key      string
	Requests map[string]Request
}

// Request is a container's CPU (cores) and memory (bytes) requests and limits; 0 where the
// plan does not say.
type Request struct{ CPU, Memory, CPULimit, MemoryLimit float64 }

// presetKeys are the preset keys of the workloads whose requests a stack sets, by the
// Deployment's name.
var presetKeys = map[string]string{
	"api": "workloads.api.resources", "websocket": "workloads.websocket.resources", "worker": "workloads.worker.resources",
	spec.PoolerService: "workloads.pooler.resources", "ingress-nginx-controller": "workloads.ingress.resources",
}

// Planned are the plan's workloads with a VerticalPodAutoscaler, in the plan's order.
func Planned(p plan.Plan) []Workload {
	requests := map[string]map[string]Request{}
	id := func(ns, kind, name string) string { return ns + "/" + kind + "/" + name }
	for _, r := range p.Resources {
		kind := map[string]string{types.K8sDeployment: "Deployment", types.K8sStatefulSet: "StatefulSet"}[r.Type]
		if kind == "" {
			if r.Type == types.HelmRelease && r.StringAt("chart") == "ingress-nginx" {
				q, l := r.MapAt("values.controller.resources.requests"), r.MapAt("values.controller.resources.limits")
				requests[id(r.StringAt("namespace"), "Deployment", "ingress-nginx-controller")] = map[string]Request{"controller": request(q, l)}
			}
			continue
		}
		cs := map[string]Request{}
		for _, c := range r.ListAt("spec.template.spec.containers") {
			m, _ := c.(map[string]any)
			name, _ := m["name"].(string)
			res, _ := m["resources"].(map[string]any)
			q, _ := res["requests"].(map[string]any)
			l, _ := res["limits"].(map[string]any)
			cs[name] = request(q, l)
		}
		requests[id(r.StringAt("metadata.namespace"), kind, r.StringAt("metadata.name"))] = cs
	}
	var out []Workload
	for _, r := range p.OfType(types.VPA) {
		w := Workload{Namespace: r.StringAt("metadata.namespace"), Kind: r.StringAt("spec.targetRef.kind"), Name: r.StringAt("spec.targetRef.name")}
		w.Requests = requests[id(w.Namespace, w.Kind, w.Name)]
		if w.Requests != nil {
			w.Key = presetKeys[w.Name]
		}
		out = append(out, w)
	}
	return out
}

func request(requests, limits map[string]any) Request {
	at := func(m map[string]any, key string) float64 {
		s, _ := m[key].(string)
		v, _ := Quantity(s)
		return v
	}
	return Request{CPU: at(requests, "cpu"), Memory: at(requests, "memory"), CPULimit: at(limits, "cpu"), MemoryLimit: at(limits, "memory")}
}

// Range is a recommendation: the target and the bounds within which a request is fine.
type Range struct {
	Target string `json:"target"`
	Lower  string `json:"lowerBound"`
	Upper  string `json:"upperBound"`
}

// Advice is one resource of one container: what it requests, what the recommender says, and
// what to do: raise (the request is below the lower bound), lower (above the upper bound), keep,
// or see (the request is the chart's, not the plan's).
type Advice struct {
	Requested   string `json:"requested,omitempty"`
	Recommended Range  `json:"recommended"`
	Do          string `json:"do"`
	// Limit is the plan's limit where the recommended target is above it: a raise must lift
	// the limit too, or the request is refused (a request above its limit).
	Limit string `json:"limit,omitempty"`
}

// Row is one container's advice.
type Row struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Container string `json:"container"`
	Key       string `json:"key,omitempty"`
	CPU       Advice `json:"cpu"`
	Memory    Advice `json:"memory"`
}

// Report is the cluster's recommendations against the plan's requests.
type Report struct {
	Server string `json:"server"`
	Rows   []Row  `json:"rows"`
	// Waiting are planned workloads whose VerticalPodAutoscaler has no recommendation yet (or
	// does not exist in the cluster); Unplanned are VerticalPodAutoscalers the plan does not
	// hold, left out.
	Waiting   []string `json:"waiting"`
	Unplanned []string `json:"unplanned"`
}

// vpaList is the part of a VerticalPodAutoscaler list the report reads.
type vpaList struct {
	Items []struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec struct {
			TargetRef struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"targetRef"`
		} `json:"spec"`
		Status struct {
			Recommendation struct {
				ContainerRecommendations []struct {
					ContainerName string            `json:"containerName"`
					Target        map[string]string `json:"target"`
					LowerBound    map[string]string `json:"lowerBound"`
					UpperBound    map[string]string `json:"upperBound"`
				} `json:"containerRecommendations"`
			} `json:"recommendation"`
		} `json:"status"`
	} `json:"items"`
}

// ErrNoVPA says the cluster serves no VerticalPodAutoscaler API.
var ErrNoVPA = errors.New("the cluster serves no autoscaling.k8s.io/v1 VerticalPodAutoscalers (is workloads.addons.vpa on, and its release installed?)")

// Compare reads every VerticalPodAutoscaler in the cluster and weighs each planned workload's
// requests against its recommendation.
func Compare(ctx context.Context, c *Client, planned []Workload) (Report, error) {
	var list vpaList
	if err := c.Get(ctx, "/apis/autoscaling.k8s.io/v1/verticalpodautoscalers", &list); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Report{}, ErrNoVPA
		}
		return Report{}, err
	}
	rep := Report{Server: c.Server, Rows: []Row{}, Waiting: []string{}, Unplanned: []string{}}
	found := map[string]bool{}
	for _, w := range planned {
		name := w.Namespace + "/" + w.Kind + "/" + w.Name
		var recs int
		for _, v := range list.Items {
			if v.Metadata.Namespace != w.Namespace || v.Spec.TargetRef.Kind != w.Kind || v.Spec.TargetRef.Name != w.Name {
				continue
			}
			found[v.Metadata.Namespace+"/"+v.Metadata.Name] = true
			for _, cr := range v.Status.Recommendation.ContainerRecommendations {
				req, known := w.Requests[cr.ContainerName]
				row := Row{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name, Container: cr.ContainerName, Key: w.Key}
				var err error
				if row.CPU, err = advise(cr.Target["cpu"], cr.LowerBound["cpu"], cr.UpperBound["cpu"], req.CPU, req.CPULimit, known, cpuText); err != nil {
					return Report{}, fmt.Errorf("VerticalPodAutoscaler %s/%s: %s cpu: %w", v.Metadata.Namespace, v.Metadata.Name, cr.ContainerName, err)
				}
				if row.Memory, err = advise(cr.Target["memory"], cr.LowerBound["memory"], cr.UpperBound["memory"], req.Memory, req.MemoryLimit, known, memoryText); err != nil {
					return Report{}, fmt.Errorf("VerticalPodAutoscaler %s/%s: %s memory: %w", v.Metadata.Namespace, v.Metadata.Name, cr.ContainerName, err)
				}
				rep.Rows = append(rep.Rows, row)
				recs++
			}
		}
		if recs == 0 {
			rep.Waiting = append(rep.Waiting, name)
		}
	}
	for _, v := range list.Items {
		if !found[v.Metadata.Namespace+"/"+v.Metadata.Name] {
			rep.Unplanned = append(rep.Unplanned, v.Metadata.Namespace+"/"+v.Metadata.Name)
		}
	}
	slices.Sort(rep.Unplanned)
	return rep, nil
}

// advise weighs one request against a recommendation's target and bounds.
func advise(target, lower, upper string, requested, limit float64, known bool, text func(float64) string) (Advice, error) {
	var a Advice
	t, err := Quantity(target)
	if err != nil {
		return a, fmt.Errorf("target: %w", err)
	}
	lo, hi := t, t
	if lower != "" {
		if lo, err = Quantity(lower); err != nil {
			return a, fmt.Errorf("lowerBound: %w", err)
		}
	}
	if upper != "" {
		if hi, err = Quantity(upper); err != nil {
			return a, fmt.Errorf("upperBound: %w", err)
		}
	}
	a.Recommended = Range{Target: text(t), Lower: text(lo), Upper: text(hi)}
	switch {
	case !known || requested == 0:
		a.Do = "see"
	case requested < lo:
		a.Requested, a.Do = text(requested), "raise"
		if limit > 0 && t > limit {
			a.Limit = text(limit)
		}
	case requested > hi:
		a.Requested, a.Do = text(requested), "lower"
	default:
		a.Requested, a.Do = text(requested), "keep"
	}
	return a, nil
}

// Text is the report for a terminal: a line per container, then what to change in the stack's
// overrides.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scalestack rightsize: the Vertical Pod Autoscaler's recommendations in %s against the plan's requests\n\n", r.Server)
	if len(r.Rows) == 0 {
		b.WriteString("no recommendation yet\n")
	}
	side := func(a Advice) string {
		rec := fmt.Sprintf("%s (%s-%s)", a.Recommended.Target, a.Recommended.Lower, a.Recommended.Upper)
		if a.Do == "see" {
			return "the chart's -> " + rec
		}
		if a.Limit != "" {
			return fmt.Sprintf("%s -> %s: %s, and its limit %s", a.Requested, rec, a.Do, a.Limit)
		}
		return fmt.Sprintf("%s -> %s: %s", a.Requested, rec, a.Do)
	}
	if len(r.Rows) > 0 {
		fmt.Fprintf(&b, "  %-52s %-36s %s\n", "workload/container", "cpu request -> recommended (range)", "memory request -> recommended (range)")
	}
	changes := map[string][]string{}
	var keys, fixed []string
	moves := func(a Advice) bool { return a.Do == "raise" || a.Do == "lower" }
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "  %-52s %-36s %s\n", row.Namespace+"/"+row.Kind+"/"+row.Name+"/"+row.Container, side(row.CPU), side(row.Memory))
		if row.Key == "" {
			if moves(row.CPU) || moves(row.Memory) {
				fixed = append(fixed, row.Namespace+"/"+row.Name+"/"+row.Container)
			}
			continue
		}
		for _, x := range []struct {
			field string
			a     Advice
		}{{"cpu", row.CPU}, {"memory", row.Memory}} {
			if moves(x.a) {
				if _, ok := changes[row.Key]; !ok {
					keys = append(keys, row.Key)
				}
				changes[row.Key] = append(changes[row.Key], fmt.Sprintf("%s: %s", x.field, x.a.Recommended.Target))
				if x.a.Limit != "" {
					// The preset's limit keys: cpuLimit, memoryLimit (spec.Resources).
					changes[row.Key] = append(changes[row.Key], fmt.Sprintf("%sLimit: %s", x.field, x.a.Recommended.Target))
				}
			}
		}
	}
	if len(keys) > 0 {
		b.WriteString("\nTo follow the recommendations, set in scalestack:overrides (then `scalestack capacity` and `pulumi preview`: the capacity model reads the new requests):\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: {%s}\n", k, strings.Join(changes[k], ", "))
		}
	}
	if len(fixed) > 0 {
		fmt.Fprintf(&b, "\nOutside their range but with no override (scalestack fixes their requests): %s\n", strings.Join(fixed, ", "))
	}
	if len(keys) == 0 && len(fixed) == 0 && len(r.Rows) > 0 {
		b.WriteString("\nEvery request the stack sets is within its recommendation's range.\n")
	}
	if len(r.Waiting) > 0 {
		fmt.Fprintf(&b, "\nNo recommendation yet (the recommender needs the pods' use; about a day gives a steady one): %s\n", strings.Join(r.Waiting, ", "))
	}
	if len(r.Unplanned) > 0 {
		fmt.Fprintf(&b, "\nNot the stack's (left out): %s\n", strings.Join(r.Unplanned, ", "))
	}
	return b.String()
}
