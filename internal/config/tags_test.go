package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/config"
)

// TestTags checks the conventions the struct tags follow, on which parsing,
// error messages and the generated documentation rely.
func TestTags(t *testing.T) {
	for field, want := range map[string]string{"Routes": config.RoutePrefix, "Conns": config.ConnPrefix} {
		f, _ := reflect.TypeFor[config.Config]().FieldByName(field)
		if got := f.Tag.Get("envPrefix"); got != want {
			t.Errorf("envPrefix of %s is %q, want %q", field, got, want)
		}
	}
	// env reports a bad value by Go field name: among the top-level
	// variables, field names must be unique for the name to tell the
	// variable.
	seen := map[string]string{}
	var walk func(t *testing.T, typ reflect.Type, route bool)
	walk = func(t *testing.T, typ reflect.Type, route bool) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			if key == "-" {
				if f.Type.Kind() == reflect.Slice {
					walk(t, f.Type.Elem(), true)
				}
				continue
			}
			if key == "" {
				if f.Type.Kind() == reflect.Struct {
					walk(t, f.Type, route)
				}
				continue
			}
			help := f.Tag.Get("help")
			if help == "" {
				t.Errorf("%s has no help tag", key)
			}
			if strings.Count(help, "'")%2 != 0 {
				t.Errorf("help of %s has an odd number of quotes (they mark code)", key)
			}
			if !route {
				if other, dup := seen[f.Name]; dup {
					t.Errorf("field name %s is used by %s and %s", f.Name, other, key)
				}
				seen[f.Name] = key
			}
		}
	}
	walk(t, reflect.TypeFor[config.Config](), false)
}
