package simulate

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
)

// Point is the concurrent users at a moment, in seconds from the start.
type Point struct {
	Second float64 `yaml:"second" json:"second"`
	Users  float64 `yaml:"users" json:"users"`
}

// Curve is concurrent users over time: straight lines between its points, the last held.
type Curve struct {
	// Name says where the curve came from (the ramp as given, or the traffic file).
	Name   string  `json:"name"`
	Points []Point `json:"points"`
}

// MaxSeconds is the longest curve a simulation steps through: a week.
const MaxSeconds = 7 * 24 * 3600

// At is the users at a second.
func (c Curve) At(s float64) float64 {
	ps := c.Points
	if s <= ps[0].Second {
		return ps[0].Users
	}
	for i := 1; i < len(ps); i++ {
		if s <= ps[i].Second {
			a, b := ps[i-1], ps[i]
			return a.Users + (b.Users-a.Users)*(s-a.Second)/(b.Second-a.Second)
		}
	}
	return ps[len(ps)-1].Users
}

// End is the curve's last point's second.
func (c Curve) End() float64 { return c.Points[len(c.Points)-1].Second }

// Peak is the most users the curve reaches.
func (c Curve) Peak() float64 {
	peak := 0.0
	for _, p := range c.Points {
		peak = math.Max(peak, p.Users)
	}
	return peak
}

var ramp = regexp.MustCompile(`^\s*([0-9][0-9_,]*)\s*->\s*([0-9][0-9_,]*)\s+in\s+(\S+)\s*$`)

// ParseRamp reads "FROM->TO in DURATION" (20000->100000 in 2h): users from FROM to TO in a
// straight line over the duration (a Go duration: 90s, 10m, 2h, 1h30m).
func ParseRamp(s string) (Curve, error) {
	m := ramp.FindStringSubmatch(s)
	if m == nil {
		return Curve{}, fmt.Errorf("ramp %q is not FROM->TO in DURATION (want for example \"20000->100000 in 2h\")", s)
	}
	from, err := users(m[1])
	if err != nil {
		return Curve{}, fmt.Errorf("ramp %q: from: %w", s, err)
	}
	to, err := users(m[2])
	if err != nil {
		return Curve{}, fmt.Errorf("ramp %q: to: %w", s, err)
	}
	d, err := time.ParseDuration(m[3])
	if err != nil || d < time.Second || d.Seconds() > MaxSeconds {
		return Curve{}, fmt.Errorf("ramp %q: %q is not a duration (want a Go duration from 1s to 168h, for example 10m or 2h)", s, m[3])
	}
	return Curve{Name: strings.TrimSpace(s), Points: []Point{{0, from}, {d.Seconds(), to}}}, nil
}

func users(s string) (float64, error) {
	clean := strings.NewReplacer("_", "", ",", "").Replace(s)
	n, err := strconv.ParseInt(clean, 10, 64)
	if err != nil || n < 1 || n > capacity.MaxUsers {
		return 0, fmt.Errorf("%q is not a number of users (want a whole number from 1 to %d)", s, capacity.MaxUsers)
	}
	return float64(n), nil
}

// ParseTraffic reads a traffic file: YAML (or JSON) of {points: [{second, users}, ...]}, the
// seconds rising from 0, at most a week.
func ParseTraffic(name string, b []byte) (Curve, error) {
	var doc struct {
		Points []struct {
			Second *float64 `yaml:"second"`
			Users  *float64 `yaml:"users"`
		} `yaml:"points"`
	}
	want := "want points: [{second: 0, users: 20000}, {second: 7200, users: 100000}]"
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return Curve{}, fmt.Errorf("%s: not a traffic file (%s): %v", name, want, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var more any
	if err := dec.Decode(&more); err == nil {
		return Curve{}, fmt.Errorf("%s: more than one YAML document (%s, once)", name, want)
	}
	if len(doc.Points) < 2 {
		return Curve{}, fmt.Errorf("%s: points: %d given (want at least 2, the first at second 0)", name, len(doc.Points))
	}
	var errs []error
	points := make([]Point, len(doc.Points))
	for i, raw := range doc.Points {
		if raw.Second == nil || raw.Users == nil {
			errs = append(errs, fmt.Errorf("%s: points.%d: second and users are both required", name, i))
			continue
		}
		points[i] = Point{*raw.Second, *raw.Users}
	}
	if err := errors.Join(errs...); err != nil {
		return Curve{}, err
	}
	for i, p := range points {
		switch {
		case math.IsNaN(p.Second) || math.IsInf(p.Second, 0) || p.Second < 0 || p.Second > MaxSeconds:
			errs = append(errs, fmt.Errorf("%s: points.%d.second: %v is out of range (want 0 to %d)", name, i, p.Second, MaxSeconds))
		case i == 0 && p.Second != 0:
			errs = append(errs, fmt.Errorf("%s: points.0.second: %v (want the first point at second 0)", name, p.Second))
		case i > 0 && p.Second <= points[i-1].Second:
			errs = append(errs, fmt.Errorf("%s: points.%d.second: %v is not after the point before (%v)", name, i, p.Second, points[i-1].Second))
		}
		if math.IsNaN(p.Users) || math.IsInf(p.Users, 0) || p.Users < 0 || p.Users > capacity.MaxUsers || p.Users != math.Trunc(p.Users) {
			errs = append(errs, fmt.Errorf("%s: points.%d.users: %v is not a number of users (want a whole number from 0 to %d)", name, i, p.Users, capacity.MaxUsers))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Curve{}, err
	}
	return Curve{Name: name, Points: points}, nil
}
