package jq

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/artifact"
)

// The variables every program sees, in the order Run takes their values.
var variables = []string{"$subject", "$headers"}

// headerFunc is the Go half of header/1: the prelude passes it $headers as
// its input, since a gojq function sees no variables.
const headerFunc = "_bridge_header"

// prelude defines header/1 in jq, so that it reads the $headers of the
// run. It is put before the program's own definitions, which may shadow
// it.
const prelude = `def header($name): $headers | ` + headerFunc + `($name); .`

var preludeDefs = func() []*gojq.FuncDef {
	q, err := gojq.Parse(prelude)
	if err != nil {
		panic(err)
	}
	return q.FuncDefs
}()

// emptyHeaders is $headers for an input without headers, and for programs
// that never read headers. gojq never modifies its inputs, so one map
// serves every run.
var emptyHeaders = map[string]any{}

// lookupHeader returns the first value of the header named args[0]
// ignoring case, or nil. When several names match, the one equal to the
// argument wins, then the first in byte order, so the answer does not
// depend on map order.
func lookupHeader(v any, args []any) any {
	name, ok := args[0].(string)
	if !ok {
		return fmt.Errorf("header/1: name must be a string, got %s", gojq.TypeOf(args[0]))
	}
	h, _ := v.(map[string]any)
	found, ok := h[name]
	if !ok {
		best := ""
		for k, vs := range h {
			if strings.EqualFold(k, name) && (found == nil || k < best) {
				best, found = k, vs
			}
		}
	}
	if vs, _ := found.([]any); len(vs) > 0 {
		return vs[0]
	}
	return nil
}

// headersValue returns $headers for m: each name with at least one value,
// as received, mapped to the array of its values.
func headersValue(m artifact.Metadata) map[string]any {
	if len(m) == 0 {
		return emptyHeaders
	}
	h := make(map[string]any, len(m))
	for k, vs := range m {
		if len(vs) == 0 {
			continue
		}
		a := make([]any, len(vs))
		for i, v := range vs {
			a[i] = v
		}
		h[k] = a
	}
	return h
}

// uses reports which of the message's parts a parsed program may read, so
// Process builds only those: a program that never names $subject gets ""
// and one that never names $headers or calls header/1 gets {}. It
// over-approximates (a name inside a string literal or shadowed by a
// local binding counts), which costs only time.
type uses struct {
	subject, headers bool
}

func scan(q *gojq.Query) uses {
	var u uses
	walk(reflect.ValueOf(q), func(v any) {
		var name string
		switch n := v.(type) {
		case *gojq.Func: // function calls and variable references
			name = n.Name
			if name == "header" && len(n.Args) == 1 {
				u.headers = true
			}
		case *gojq.ObjectKeyVal: // {$subject} is short for {subject: $subject}
			name = n.Key
		}
		switch name {
		case "$subject":
			u.subject = true
		case "$headers":
			u.headers = true
		}
	})
	return u
}

// walk calls visit for every pointer in the syntax tree below v, through
// exported fields, so it follows gojq's AST without listing its types.
func walk(v reflect.Value, visit func(any)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		visit(v.Interface())
		walk(v.Elem(), visit)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				walk(v.Field(i), visit)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i), visit)
		}
	}
}
