package blobs

import "testing"

// The expected texts below are what CPython 3 prints for the same input.

func TestOrderedPyJSON(t *testing.T) {
	in := `{"b": 1, "a": {"z": [1, 2.50, 1E3, -0, "é€😀"], "y": {}}, "b": true, "c": [], "d": null}`
	o, err := ParseOrdered([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	// json.dumps(json.loads(in)): a repeated key keeps its first place and
	// its last value; numbers are printed as Python's int and float do.
	want := `{"b": true, "a": {"z": [1, 2.5, 1000.0, 0, "\u00e9\u20ac\ud83d\ude00"], "y": {}}, "c": [], "d": null}`
	if got := string(o.PyJSON()); got != want {
		t.Errorf("PyJSON:\n got %s\nwant %s", got, want)
	}
	if got := o.Keys(); len(got) != 4 || got[0] != "b" || got[1] != "a" || got[2] != "c" || got[3] != "d" {
		t.Errorf("Keys = %q", got)
	}
}

func TestOrderedUpdateKeepsPythonOrder(t *testing.T) {
	o, _ := ParseOrdered([]byte(`{"b": true, "a": {"z": 1}, "c": [], "d": null}`))
	src, _ := ParseOrdered([]byte(`{"c": "x", "new": 1, "a": 2}`))
	o.Update(src) // d.update(src)
	if got, want := string(o.PyJSON()), `{"b": true, "a": 2, "c": "x", "d": null, "new": 1}`; got != want {
		t.Errorf("after Update:\n got %s\nwant %s", got, want)
	}
	o.Set("b", NewOrderedString("s")) // existing key: same place
	o.Set("e", NewOrderedObject())    // new key: at the end
	if got, want := string(o.PyJSON()), `{"b": "s", "a": 2, "c": "x", "d": null, "new": 1, "e": {}}`; got != want {
		t.Errorf("after Set:\n got %s\nwant %s", got, want)
	}
	// Set on a scalar and Update from a non-object do nothing.
	NewOrderedString("x").Set("k", o)
	o.Update(NewOrderedString("x"))
	if o.Len() != 6 {
		t.Errorf("Len = %d, want 6", o.Len())
	}
}

func TestOrderedSortedIndent(t *testing.T) {
	o, _ := ParseOrdered([]byte(`{"b": 1, "a": {"z": [1, 2.5], "y": {}, "x": []}}`))
	// json.dumps(v, sort_keys=True)
	if got, want := string(o.AppendPyJSON(nil, PyJSONOptions{SortKeys: true})), `{"a": {"x": [], "y": {}, "z": [1, 2.5]}, "b": 1}`; got != want {
		t.Errorf("sorted:\n got %s\nwant %s", got, want)
	}
	// json.dumps(v, sort_keys=True, indent=4, separators=(",", ": "))
	want := "{\n    \"a\": {\n        \"x\": [],\n        \"y\": {},\n        \"z\": [\n            1,\n            2.5\n        ]\n    },\n    \"b\": 1\n}"
	if got := string(o.AppendPyJSON(nil, PyJSONOptions{SortKeys: true, Indent: 4})); got != want {
		t.Errorf("indented:\n got %q\nwant %q", got, want)
	}
	// Sorting is for output only.
	if got, want := string(o.PyJSON()), `{"b": 1, "a": {"z": [1, 2.5], "y": {}, "x": []}}`; got != want {
		t.Errorf("PyJSON after sorted output: %s", got)
	}
}

func TestOrderedCloneIsDeep(t *testing.T) {
	o, _ := ParseOrdered([]byte(`{"a": {"b": [1]}}`))
	c := o.Clone()
	c.Get("a").Set("c", NewOrderedString("x"))
	if got := string(o.PyJSON()); got != `{"a": {"b": [1]}}` {
		t.Errorf("original changed: %s", got)
	}
	if got := string(c.PyJSON()); got != `{"a": {"b": [1], "c": "x"}}` {
		t.Errorf("clone: %s", got)
	}
}

func TestOrderedPythonValues(t *testing.T) {
	parse := func(s string) *Ordered {
		t.Helper()
		o, err := ParseOrdered([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, c := range []struct {
		json  string
		truth bool
		str   string
	}{
		{`null`, false, "None"}, {`false`, false, "False"}, {`true`, true, "True"},
		{`0`, false, "0"}, {`-0`, false, "0"}, {`7`, true, "7"},
		{`0.0`, false, "0.0"}, {`1e2`, true, "100.0"}, {`NaN`, true, "nan"},
		{`""`, false, ""}, {`"sha512"`, true, "sha512"},
		{`[]`, false, "[]"}, {`[1, "a"]`, true, "[1, 'a']"},
		{`{}`, false, "{}"}, {`{"b": 1, "a": null}`, true, "{'b': 1, 'a': None}"},
	} {
		o := parse(c.json)
		if o.Truthy() != c.truth {
			t.Errorf("bool(%s) = %v", c.json, o.Truthy())
		}
		if o.String() != c.str {
			t.Errorf("str(%s) = %q, want %q", c.json, o.String(), c.str)
		}
	}
	for _, c := range []struct {
		a, b string
		eq   bool
	}{
		{`1`, `1.0`, true}, {`true`, `1`, true}, {`false`, `0.0`, true}, {`1`, `"1"`, false},
		{`9007199254740993`, `9007199254740992.0`, false}, {`NaN`, `NaN`, false},
		{`"sha512"`, `"sha512"`, true}, {`"sha512"`, `"sha256"`, false},
		{`{"a": 1, "b": [1, 2]}`, `{"b": [1.0, 2], "a": 1}`, true}, {`{"a": 1}`, `{"a": 1, "b": 2}`, false},
		{`[1, 2]`, `[2, 1]`, false}, {`null`, `null`, true}, {`null`, `0`, false},
	} {
		if got := parse(c.a).Equal(parse(c.b)); got != c.eq {
			t.Errorf("%s == %s: %v, want %v", c.a, c.b, got, c.eq)
		}
	}
}
