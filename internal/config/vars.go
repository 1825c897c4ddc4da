package config

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// variable describes one environment variable, as declared by struct tags.
type variable struct {
	name     string // NATS_URL, or BRIDGE_ROUTE_<n>_IN for a route variable
	suffix   string // the env tag: equal to name, or IN for BRIDGE_ROUTE_<n>_IN
	field    string // Go field name, which env's ParseError reports
	def      string // default as documented, "" if none
	required bool
	help     string
	pos      int // position among the top-level, or the route, variables
}

// section is a group of variables in the documentation.
type section struct {
	title, doc string
	route      bool
	vars       []variable
}

// routePrefix is the envPrefix tag of Config.Routes (a test checks that they
// agree): route n reads the variables routePrefix + n + "_" + suffix.
const routePrefix = "BRIDGE_ROUTE_"

// routeKeyRE splits a route variable into its index and its suffix. The
// index is any digit string so that leading zeros can be reported.
var routeKeyRE = regexp.MustCompile(`^` + routePrefix + `([0-9]+)_(.*)$`)

// catalogue lists the variables of Config, by section, in declaration order.
var catalogue = sync.OnceValue(func() []section {
	var sections []section
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		title, ok := f.Tag.Lookup("section")
		if !ok {
			continue
		}
		s := section{title: title, doc: f.Tag.Get("sectionDoc")}
		if f.Type.Kind() == reflect.Slice {
			s.route = true
			s.vars = collect(nil, f.Type.Elem(), f.Tag.Get("envPrefix")+"<n>_")
		} else {
			s.vars = collect(nil, f.Type, "")
		}
		sections = append(sections, s)
	}
	return sections
})

// collect appends the variables of struct type t, recursing into untagged
// struct fields the way env does.
func collect(vars []variable, t reflect.Type, prefix string) []variable {
	for i := range t.NumField() {
		f := t.Field(i)
		key, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		switch {
		case key == "-":
			continue
		case key == "" && f.Type.Kind() == reflect.Struct:
			vars = collect(vars, f.Type, prefix)
			continue
		case key == "":
			continue
		}
		v := variable{
			name:     prefix + key,
			suffix:   key,
			field:    f.Name,
			required: slices.Contains(strings.Split(opts, ","), "required"),
			help:     f.Tag.Get("help"),
		}
		if doc, ok := f.Tag.Lookup("doc"); ok {
			v.def = doc
		} else {
			v.def = f.Tag.Get("envDefault")
		}
		vars = append(vars, v)
	}
	return vars
}

// lookup indexes the catalogue: top-level variables by name, route variables
// by suffix, and the env keys of both by Go field name.
type lookup struct {
	top, route               map[string]variable
	topByField, routeByField map[string]string
}

var index = sync.OnceValue(func() lookup {
	l := lookup{
		top: map[string]variable{}, route: map[string]variable{},
		topByField: map[string]string{}, routeByField: map[string]string{},
	}
	for _, s := range catalogue() {
		for _, v := range s.vars {
			if s.route {
				v.pos = len(l.route)
				l.route[v.suffix] = v
				l.routeByField[v.field] = v.suffix
			} else {
				v.pos = len(l.top)
				l.top[v.name] = v
				l.topByField[v.field] = v.name
			}
		}
	}
	return l
})

// Variables returns the names of all variables the configuration knows, in
// the order of the documentation. Route variables are named with "<n>" for
// the index, as in BRIDGE_ROUTE_<n>_IN.
func Variables() []string {
	var names []string
	for _, s := range catalogue() {
		for _, v := range s.vars {
			names = append(names, v.name)
		}
	}
	return names
}

// Known reports whether name is a variable of the configuration, with a
// concrete route index: Known("BRIDGE_ROUTE_2_JQ") is true,
// Known("BRIDGE_ROUTE_<n>_JQ") and Known("BRIDGE_ROUTE_02_JQ") are false.
func Known(name string) bool {
	if _, ok := index().top[name]; ok {
		return true
	}
	m := routeKeyRE.FindStringSubmatch(name)
	if m == nil || (len(m[1]) > 1 && m[1][0] == '0') {
		return false
	}
	_, ok := index().route[m[2]]
	return ok
}
