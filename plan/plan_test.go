package plan

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSortedIsATreeWhateverTheOrder(t *testing.T) {
	t.Parallel()
	in := []Resource{
		{Type: "b:x", Name: "child2", Parent: "root", ParentType: "a:comp"},
		{Type: "a:x", Name: "child1", Parent: "root", ParentType: "a:comp"},
		{Type: "z:top", Name: "solo"},
		{Type: "a:comp", Name: "root"},
		{Type: "c:x", Name: "grandchild", Parent: "child1", ParentType: "a:x"},
	}
	var names []string
	for _, r := range Sorted(in).Resources {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"root", "child1", "grandchild", "child2", "solo"}, names)
	p := Sorted(in)
	gc, ok := p.Find("c:x", "grandchild")
	require.True(t, ok)
	assert.Equal(t, 2, p.Depth(gc))
}

func TestGetAndFlatten(t *testing.T) {
	t.Parallel()
	r := Resource{Inputs: map[string]any{"a": map[string]any{"b": []any{"x", 2.0}}, "n": nil}}
	v, ok := r.Get("a.b.1")
	require.True(t, ok)
	assert.Equal(t, 2.0, v)
	_, ok = r.Get("a.b.9")
	assert.False(t, ok)
	_, ok = r.Get("a.c")
	assert.False(t, ok)
	assert.Equal(t, []Leaf{{"a.b.0", "x"}, {"a.b.1", "2"}, {"n", "null"}}, Flatten(r.Inputs))
}

func TestJSONShape(t *testing.T) {
	t.Parallel()
	b, err := Plan{}.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"resources":[]}`, string(b))
	b, err = Plan{Resources: []Resource{{Type: "t", Name: "n"}}}.JSON()
	require.NoError(t, err)
	var doc map[string][]map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, map[string]any{}, doc["resources"][0]["inputs"])
	assert.Equal(t, "", doc["resources"][0]["parent"])
}

func TestTypedAccessors(t *testing.T) {
	t.Parallel()
	r := Resource{Inputs: map[string]any{"spec": map[string]any{
		"type": "LoadBalancer", "port": 443.0, "ranges": []any{"10.0.0.0/8"}, "selector": map[string]any{"app": "ws"},
	}}}
	assert.Equal(t, "LoadBalancer", r.StringAt("spec.type"))
	assert.Equal(t, "", r.StringAt("spec.port"), "a number is not a string")
	n, ok := r.NumberAt("spec.port")
	assert.True(t, ok)
	assert.Equal(t, 443.0, n)
	_, ok = r.NumberAt("spec.missing")
	assert.False(t, ok)
	assert.Equal(t, []any{"10.0.0.0/8"}, r.ListAt("spec.ranges"))
	assert.Nil(t, r.ListAt("spec.type"))
	assert.Equal(t, map[string]any{"app": "ws"}, r.MapAt("spec.selector"))
	assert.True(t, SelectorMatches(r.MapAt("spec.selector"), map[string]any{"app": "ws", "tier": "x"}))
	assert.False(t, SelectorMatches(map[string]any{}, map[string]any{"app": "ws"}), "an empty selector matches nothing")
}
