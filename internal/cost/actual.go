package cost

import (
	"errors"

	"github.com/vektah/gqlparser/v2/ast"
)

// errMalformed is returned for response data that is not a JSON object.
var errMalformed = errors.New("cost: malformed response data")

// Actual computes what an answered operation cost, by the same rules as
// Measure but counting the items the response really holds: a page of 3
// products costs 3 items, not first: 20. data is the response's data
// member as JSON. It is read in place, without decoding it into values:
// only the objects and lists the operation's selections lead to are
// visited, and scalars are skipped.
func (m Model) Actual(schema *ast.Schema, op *ast.OperationDefinition, data []byte) (int, error) {
	w := actualWalker{walker: walker{m: m, schema: schema}, data: data}
	i := w.space(0)
	if i >= len(data) || data[i] != '{' {
		return 0, errMalformed
	}
	total := w.set(op.SelectionSet, rootName(op), i)
	if w.err != nil {
		return 0, w.err
	}
	return total, nil
}

// member is one key and value of a JSON object, as offsets into the data.
type member struct {
	keyStart, keyEnd int // the key, without its quotes
	value            int // where the value starts
}

// actualWalker walks the selections of an operation and its JSON answer
// side by side. members is a stack: each object visited pushes its
// members and pops them when it is done, so walking allocates only while
// the stack grows to the answer's depth.
type actualWalker struct {
	walker
	data    []byte
	members []member
	err     error
}

// set is the cost of the answered fields of the object at offset at.
// Fragments on another type than the answer's own are skipped by the
// lookup: their fields are simply absent from the object.
func (w *actualWalker) set(set ast.SelectionSet, parent string, at int) int {
	base, n := w.object(at)
	defer func() { w.members = w.members[:base] }()
	total := 0
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			if cond, sub, ok := fragment(sel); ok {
				if tn := w.typename(base, n); tn == "" || tn == cond || w.applies(cond, parent) {
					total += w.set(sub, parent, at)
				}
			}
			continue
		}
		if f.Definition == nil || len(f.SelectionSet) == 0 || len(f.Name) > 1 && f.Name[:2] == "__" {
			continue
		}
		v, ok := w.lookup(base, n, responseKey(f))
		if !ok || w.data[v] == 'n' {
			continue // absent or null
		}
		if w.isConnection(f.Definition.Type) {
			total += 2 + w.connection(f.SelectionSet, v)
		} else {
			total += w.value(f.SelectionSet, f.Definition.Type.Name(), v)
		}
	}
	return total
}

// value is the cost of an object or a (nested) list of objects at v.
func (w *actualWalker) value(set ast.SelectionSet, named string, v int) int {
	switch w.data[v] {
	case '[':
		total := 0
		for i := w.space(v + 1); w.err == nil && i < len(w.data) && w.data[i] != ']'; {
			total += w.value(set, named, i)
			i = w.next(w.skip(i), ']')
		}
		return total
	case '{':
		c := w.set(set, named, v)
		if w.isEntity(named) {
			c++
		}
		return c
	}
	return 0
}

// connection is the cost of the items a connection answered.
func (w *actualWalker) connection(set ast.SelectionSet, v int) int {
	if w.data[v] != '{' {
		return 0
	}
	base, n := w.object(v)
	defer func() { w.members = w.members[:base] }()
	total := 0
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			if _, sub, ok := fragment(sel); ok {
				total += w.connection(sub, v)
			}
			continue
		}
		if f.Definition == nil || (f.Name != "edges" && f.Name != "nodes") {
			continue
		}
		if at, ok := w.lookup(base, n, responseKey(f)); ok {
			total += w.value(f.SelectionSet, f.Definition.Type.Name(), at)
		}
	}
	return total
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// object pushes the members of the object at offset at (its '{') and
// returns where they start on the stack and how many there are.
func (w *actualWalker) object(at int) (base, n int) {
	base = len(w.members)
	d := w.data
	for i := w.space(at + 1); w.err == nil; {
		if i >= len(d) {
			w.err = errMalformed
			break
		}
		if d[i] == '}' {
			break
		}
		if d[i] != '"' {
			w.err = errMalformed
			break
		}
		end := w.str(i)
		j := w.space(end)
		if j >= len(d) || d[j] != ':' {
			w.err = errMalformed
			break
		}
		v := w.space(j + 1)
		if v >= len(d) {
			w.err = errMalformed
			break
		}
		w.members = append(w.members, member{keyStart: i + 1, keyEnd: end - 1, value: v})
		i = w.next(w.skip(v), '}')
	}
	return base, len(w.members) - base
}

// lookup finds the value of key among an object's members. GraphQL
// response keys are names, which JSON writes without escapes.
func (w *actualWalker) lookup(base, n int, key string) (int, bool) {
	for _, m := range w.members[base : base+n] {
		if string(w.data[m.keyStart:m.keyEnd]) == key {
			return m.value, true
		}
	}
	return 0, false
}

// typename is the object's __typename when the answer holds it.
func (w *actualWalker) typename(base, n int) string {
	v, ok := w.lookup(base, n, "__typename")
	if !ok || w.data[v] != '"' {
		return ""
	}
	return string(w.data[v+1 : w.str(v)-1])
}

// space skips white space from i.
func (w *actualWalker) space(i int) int {
	for i < len(w.data) {
		switch w.data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// next moves past the separator after a member or element, returning
// where the next one starts, or the offset of closing when there is none.
func (w *actualWalker) next(i int, closing byte) int {
	i = w.space(i)
	switch {
	case i < len(w.data) && w.data[i] == ',':
		return w.space(i + 1)
	case i < len(w.data) && w.data[i] == closing:
		return i
	}
	w.err = errMalformed
	return len(w.data)
}

// str returns the offset just past the string starting at i (its '"').
func (w *actualWalker) str(i int) int {
	d := w.data
	for i++; i < len(d); i++ {
		switch d[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	w.err = errMalformed
	return len(d)
}

// skip returns the offset just past the value starting at i.
func (w *actualWalker) skip(i int) int {
	d := w.data
	depth := 0
	for i < len(d) {
		switch d[i] {
		case '"':
			i = w.str(i)
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	if depth != 0 {
		w.err = errMalformed
	}
	return i
}
