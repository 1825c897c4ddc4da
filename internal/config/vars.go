package config

import (
	"cmp"
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
	route      bool // the variables of every route, BRIDGE_ROUTE_<n>_*
	conn       bool // the variables of every connection, BRIDGE_CONN_<k>_*
	vars       []variable
}

// routePrefix and connPrefix are the envPrefix tags of Config.Routes and
// Config.Conns (a test checks that they agree): route n reads the variables
// routePrefix + n + "_" + suffix, connection k connPrefix + k + "_" + suffix.
const (
	routePrefix = "BRIDGE_ROUTE_"
	connPrefix  = "BRIDGE_CONN_"
)

// routeKeyRE and connKeyRE split a route or connection variable into its
// index and its suffix. The index is any digit string so that leading zeros
// can be reported.
var (
	routeKeyRE = regexp.MustCompile(`^` + routePrefix + `([0-9]+)_(.*)$`)
	connKeyRE  = regexp.MustCompile(`^` + connPrefix + `([0-9]+)_(.*)$`)
)

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
			prefix := f.Tag.Get("envPrefix")
			s.route, s.conn = prefix == routePrefix, prefix == connPrefix
			placeholder := cmp.Or(f.Tag.Get("indexVar"), "<n>")
			s.vars = collect(nil, f.Type.Elem(), prefix+placeholder+"_")
		} else {
			s.vars = collect(nil, f.Type, "")
		}
		sections = append(sections, s)
	}
	return sections
})

// collect appends the variables of struct type t, recursing into untagged
// struct fields, with their envPrefix, the way env does. In help texts, {P}
// becomes the prefix, so that a struct used under two prefixes names the
// right variables under each.
func collect(vars []variable, t reflect.Type, prefix string) []variable {
	for i := range t.NumField() {
		f := t.Field(i)
		key, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		switch {
		case key == "-":
			continue
		case key == "" && f.Type.Kind() == reflect.Struct:
			// required lists variables the loader requires itself, for
			// a struct whose tags cannot say so under every prefix.
			sub := collect(nil, f.Type, prefix+f.Tag.Get("envPrefix"))
			for i := range sub {
				sub[i].required = sub[i].required || slices.Contains(strings.Split(f.Tag.Get("required"), ","), sub[i].suffix)
			}
			vars = append(vars, sub...)
			continue
		case key == "":
			continue
		}
		v := variable{
			name:     prefix + key,
			suffix:   key,
			field:    f.Name,
			required: slices.Contains(strings.Split(opts, ","), "required"),
			help:     strings.ReplaceAll(f.Tag.Get("help"), "{P}", prefix),
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

// lookup indexes the catalogue: top-level variables by name, route and
// connection variables by suffix, and the env keys of each by Go field name.
type lookup struct {
	top, route, conn                      map[string]variable
	topByField, routeByField, connByField map[string]string
}

var index = sync.OnceValue(func() lookup {
	l := lookup{
		top: map[string]variable{}, route: map[string]variable{}, conn: map[string]variable{},
		topByField: map[string]string{}, routeByField: map[string]string{}, connByField: map[string]string{},
	}
	for _, s := range catalogue() {
		for _, v := range s.vars {
			switch {
			case s.route:
				v.pos = len(l.route)
				l.route[v.suffix] = v
				l.routeByField[v.field] = v.suffix
			case s.conn:
				v.pos = len(l.conn)
				l.conn[v.suffix] = v
				l.connByField[v.field] = v.suffix
			default:
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
// the index, as in BRIDGE_ROUTE_<n>_IN, connection variables with "<k>", as
// in BRIDGE_CONN_<k>_URL.
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
// concrete route or connection index: Known("BRIDGE_ROUTE_2_JQ") and
// Known("BRIDGE_CONN_0_URL") are true, Known("BRIDGE_ROUTE_<n>_JQ") and
// Known("BRIDGE_ROUTE_02_JQ") are false.
func Known(name string) bool {
	if _, ok := index().top[name]; ok {
		return true
	}
	for _, list := range []struct {
		re   *regexp.Regexp
		vars map[string]variable
	}{{routeKeyRE, index().route}, {connKeyRE, index().conn}} {
		m := list.re.FindStringSubmatch(name)
		if m == nil || (len(m[1]) > 1 && m[1][0] == '0') {
			continue
		}
		if _, ok := list.vars[m[2]]; ok {
			return true
		}
	}
	return false
}
