// Package schemadiff finds the breaking changes between two versions of
// the GraphQL schema: what a client written against the old one could send
// or rely on that the new one refuses or answers differently. The rules
// follow graphql-js's findBreakingChanges: a removed type, field, argument,
// enum value, union member, interface or client-usable directive; a
// changed kind; an output type made nullable or otherwise changed; an input
// type made non-null or otherwise changed; a new required argument or input
// field. Additions and deprecations are not breaking.
// graph/schemacheck runs it in CI against the previous release.
package schemadiff

import (
	"fmt"
	"slices"
	"sort"

	"github.com/vektah/gqlparser/v2/ast"
)

// Change is one breaking change: Path names the schema coordinate
// (Type, Type.field, Type.field(arg), Enum.VALUE, @directive), the key an
// intentional-changes file lists; Message says what happened.
type Change struct {
	Path    string
	Message string
}

func (c Change) String() string { return c.Path + ": " + c.Message }

// Breaking returns the breaking changes from before to after, sorted by path.
// Built-in types and directives are left out.
func Breaking(before, after *ast.Schema) []Change {
	var out []Change
	add := func(path, format string, args ...any) {
		out = append(out, Change{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	for name, ot := range before.Types {
		if builtIn(ot.Position) {
			continue
		}
		nt, ok := after.Types[name]
		if !ok {
			add(name, "type %s was removed", name)
			continue
		}
		if ot.Kind != nt.Kind {
			add(name, "%s changed from %s to %s", name, ot.Kind, nt.Kind)
			continue
		}
		switch ot.Kind {
		case ast.Object, ast.Interface:
			outputFields(name, ot, nt, add)
			for _, i := range ot.Interfaces {
				if !slices.Contains(nt.Interfaces, i) {
					add(name, "%s no longer implements %s", name, i)
				}
			}
		case ast.InputObject:
			inputFields(name, ot, nt, add)
		case ast.Enum:
			for _, v := range ot.EnumValues {
				if nt.EnumValues.ForName(v.Name) == nil {
					add(name+"."+v.Name, "enum value %s.%s was removed", name, v.Name)
				}
			}
		case ast.Union:
			for _, m := range ot.Types {
				if !slices.Contains(nt.Types, m) {
					add(name, "%s was removed from union %s", m, name)
				}
			}
		}
	}
	for name, od := range before.Directives {
		if builtIn(od.Position) || !executable(od) {
			continue // only directives a client writes in a document matter
		}
		path := "@" + name
		nd, ok := after.Directives[name]
		if !ok {
			add(path, "directive @%s was removed", name)
			continue
		}
		arguments(path, od.Arguments, nd.Arguments, add)
		for _, l := range od.Locations {
			if !slices.Contains(nd.Locations, l) {
				add(path, "directive @%s no longer applies to %s", name, l)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Message < out[j].Message
	})
	return out
}

type adder func(path, format string, args ...any)

func outputFields(typ string, ot, nt *ast.Definition, add adder) {
	for _, of := range ot.Fields {
		if of.Name == "__typename" || of.Name == "__schema" || of.Name == "__type" {
			continue
		}
		path := typ + "." + of.Name
		nf := nt.Fields.ForName(of.Name)
		if nf == nil {
			add(path, "field %s was removed", path)
			continue
		}
		if !safeOutput(of.Type, nf.Type) {
			add(path, "field %s changed type from %s to %s", path, of.Type, nf.Type)
		}
		arguments(path, of.Arguments, nf.Arguments, add)
	}
}

func arguments(path string, before, after ast.ArgumentDefinitionList, add adder) {
	for _, oa := range before {
		apath := path + "(" + oa.Name + ")"
		na := after.ForName(oa.Name)
		if na == nil {
			add(apath, "argument %s was removed", apath)
			continue
		}
		if !safeInput(oa.Type, na.Type) {
			add(apath, "argument %s changed type from %s to %s", apath, oa.Type, na.Type)
		}
	}
	for _, na := range after {
		if before.ForName(na.Name) == nil && na.Type.NonNull && na.DefaultValue == nil {
			apath := path + "(" + na.Name + ")"
			add(apath, "required argument %s was added", apath)
		}
	}
}

func inputFields(typ string, ot, nt *ast.Definition, add adder) {
	for _, of := range ot.Fields {
		path := typ + "." + of.Name
		nf := nt.Fields.ForName(of.Name)
		if nf == nil {
			add(path, "input field %s was removed", path)
			continue
		}
		if !safeInput(of.Type, nf.Type) {
			add(path, "input field %s changed type from %s to %s", path, of.Type, nf.Type)
		}
	}
	for _, nf := range nt.Fields {
		if ot.Fields.ForName(nf.Name) == nil && nf.Type.NonNull && nf.DefaultValue == nil {
			path := typ + "." + nf.Name
			add(path, "required input field %s was added", path)
		}
	}
}

// safeOutput: what a client reads stays readable: the same type, or the
// same made non-null, at every list level.
func safeOutput(was, now *ast.Type) bool {
	if was.NonNull && !now.NonNull {
		return false
	}
	if (was.Elem == nil) != (now.Elem == nil) {
		return false
	}
	if was.Elem != nil {
		return safeOutput(was.Elem, now.Elem)
	}
	return was.NamedType == now.NamedType
}

// safeInput: what a client sends stays accepted: the same type, or the
// same made nullable, at every list level.
func safeInput(was, now *ast.Type) bool {
	if !was.NonNull && now.NonNull {
		return false
	}
	if (was.Elem == nil) != (now.Elem == nil) {
		return false
	}
	if was.Elem != nil {
		return safeInput(was.Elem, now.Elem)
	}
	return was.NamedType == now.NamedType
}

func builtIn(p *ast.Position) bool { return p != nil && p.Src != nil && p.Src.BuiltIn }

// executable reports whether a client may write the directive in an
// operation (as opposed to one the schema applies to itself).
func executable(d *ast.DirectiveDefinition) bool {
	for _, l := range d.Locations {
		switch l {
		case ast.LocationQuery, ast.LocationMutation, ast.LocationSubscription, ast.LocationField,
			ast.LocationFragmentDefinition, ast.LocationFragmentSpread, ast.LocationInlineFragment,
			ast.LocationVariableDefinition:
			return true
		}
	}
	return false
}
