package cost

import (
	"github.com/shopspring/decimal"
)

// Change actions.
const (
	Added    = "added"
	Removed  = "removed"
	Changed  = "changed"
	Replaced = "replaced"
)

// DiffReport is what a change does to the monthly cost.
type DiffReport struct {
	Currency string `json:"currency"`
	Base     Totals `json:"base"`
	Head     Totals `json:"head"`
	Delta    Totals `json:"delta"`
	// Changes lists every resource whose cost changes, is added or is removed, in the head's
	// order with removals after.
	Changes []Change `json:"changes"`
	// Unpriced lists what neither side could price; their cost is not in any figure above.
	Unpriced []Unpriced `json:"unpriced"`
	// Budget is the head's verdict against the budget, when there is one.
	Budget *Budget `json:"budget,omitempty"`
}

// Totals are monthly baseline and ceiling figures.
type Totals struct {
	Baseline decimal.Decimal `json:"baselineMonthly"`
	Ceiling  decimal.Decimal `json:"ceilingMonthly"`
}

// Change is one resource's part of a diff.
type Change struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Action string `json:"action"`
	// Base and Head are the resource's cost on each side; zero on the side it is missing from.
	Base  Totals `json:"base"`
	Head  Totals `json:"head"`
	Delta Totals `json:"delta"`
	// Summary says what changed in words, for instance "nodes, s-4vcpu-8gb: 3 -> 6".
	Summary string `json:"summary,omitempty"`
}

// Diff compares two estimates resource by resource. replaced names resources (by type and
// name) that the change replaces, which are reported as such even when their price is the same.
func Diff(base, head Report, replaced map[Ref]bool) DiffReport {
	d := DiffReport{
		Currency: head.Currency,
		Base:     Totals{base.Baseline, base.Ceiling},
		Head:     Totals{head.Baseline, head.Ceiling},
		Delta:    Totals{head.Baseline.Sub(base.Baseline), head.Ceiling.Sub(base.Ceiling)},
		Changes:  []Change{},
		Unpriced: []Unpriced{},
	}
	if d.Currency == "" {
		d.Currency = base.Currency
	}
	before := map[Ref]Line{}
	for _, l := range base.Lines {
		before[Ref{l.Type, l.Name}] = l
	}
	seen := map[Ref]bool{}
	for _, l := range head.Lines {
		ref := Ref{l.Type, l.Name}
		seen[ref] = true
		c := Change{Type: l.Type, Name: l.Name, Head: Totals{l.Baseline, l.Ceiling}}
		old, existed := before[ref]
		switch {
		case !existed:
			c.Action = Added
		case replaced[ref]:
			c.Action = Replaced
		default:
			c.Action = Changed
		}
		if existed {
			c.Base = Totals{old.Baseline, old.Ceiling}
			c.Summary = partsSummary(old.Parts, l.Parts)
		}
		c.Delta = Totals{c.Head.Baseline.Sub(c.Base.Baseline), c.Head.Ceiling.Sub(c.Base.Ceiling)}
		if c.Action == Changed && c.Delta.Baseline.IsZero() && c.Delta.Ceiling.IsZero() {
			continue
		}
		d.Changes = append(d.Changes, c)
	}
	for _, l := range base.Lines {
		ref := Ref{l.Type, l.Name}
		if seen[ref] {
			continue
		}
		c := Change{Type: l.Type, Name: l.Name, Action: Removed, Base: Totals{l.Baseline, l.Ceiling}}
		c.Delta = Totals{c.Base.Baseline.Neg(), c.Base.Ceiling.Neg()}
		d.Changes = append(d.Changes, c)
	}
	seenUnpriced := map[Unpriced]bool{}
	for _, u := range append(append([]Unpriced{}, head.Unpriced...), base.Unpriced...) {
		if !seenUnpriced[u] {
			seenUnpriced[u] = true
			d.Unpriced = append(d.Unpriced, u)
		}
	}
	return d
}

// partsSummary describes the quantities that differ between two versions of a resource.
func partsSummary(before, after []Part) string {
	old := map[string]Part{}
	for _, p := range before {
		old[p.What] = p
	}
	var out []string
	for _, p := range after {
		o, ok := old[p.What]
		sizeChanged := ok && o.Size != p.Size
		qtyChanged := ok && (!o.Quantity.Equal(p.Quantity) || !o.CeilingQuantity.Equal(p.CeilingQuantity))
		switch {
		case !ok:
			out = append(out, "+ "+p.What+" "+sized(p))
		case sizeChanged:
			out = append(out, p.What+": "+sized(o)+" -> "+sized(p))
		case qtyChanged:
			out = append(out, p.What+": "+quantity(o)+" -> "+quantity(p))
		}
		delete(old, p.What)
	}
	for _, p := range before {
		if _, gone := old[p.What]; gone {
			out = append(out, "- "+p.What)
		}
	}
	return joinSemi(out)
}

// sized is a part's quantity and size: 2 x db-s-2vcpu-4gb.
func sized(p Part) string {
	if p.Size == "" {
		return "x " + quantity(p)
	}
	return quantity(p) + " x " + p.Size
}

func quantity(p Part) string {
	if p.Quantity.Equal(p.CeilingQuantity) {
		return p.Quantity.String()
	}
	return p.Quantity.String() + "-" + p.CeilingQuantity.String()
}

func joinSemi(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}
