package main

import (
	"fmt"
	"github.com/complaintd/complaintd/store"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// redacted renders every configured value — scalars, lists and the lists of
// tables — as TOML lines with the secrets hidden, for `complaintd check`:
// an operator sees exactly what the daemon will use, defaults included.
func (c *Config) redacted() string {
	var b strings.Builder
	root := reflect.ValueOf(c).Elem()
	for i := range root.NumField() {
		f, sf := root.Field(i), root.Type().Field(i)
		name := sf.Tag.Get("toml")
		switch f.Kind() {
		case reflect.Struct:
			fmt.Fprintf(&b, "[%s]\n", name)
			writeFields(&b, f, "  ")
		case reflect.Slice: // [[handlers]], [[managers]], [[committees]]
			if f.Len() == 0 {
				fmt.Fprintf(&b, "# no [[%s]]\n", name)
			}
			for k := range f.Len() {
				fmt.Fprintf(&b, "[[%s]]\n", name)
				writeFields(&b, f.Index(k), "  ")
			}
		}
	}
	return b.String()
}

func writeFields(b *strings.Builder, sec reflect.Value, indent string) {
	for j := range sec.NumField() {
		sf := sec.Type().Field(j)
		fmt.Fprintf(b, "%s%s = %s\n", indent, sf.Tag.Get("toml"), showValue(sec.Field(j), sf))
	}
}

// showValue renders one value; a secret shows only whether it is set.
func showValue(f reflect.Value, sf reflect.StructField) string {
	secret := sf.Tag.Get("secret") == "true"
	switch {
	case secret && f.Kind() == reflect.String && sf.Tag.Get("toml") == "url":
		return strconv.Quote(store.RedactURL(f.String()))
	case secret && f.Kind() == reflect.String && f.String() != "":
		return "(set, hidden)"
	case secret && f.Kind() == reflect.Slice:
		return fmt.Sprintf("(%d set, hidden)", f.Len())
	case sf.Tag.Get("toml") == "previous_secrets": // secrets by nature
		return fmt.Sprintf("(%d set, hidden)", f.Len())
	}
	switch v := f.Interface().(type) {
	case string:
		if first, _, multi := strings.Cut(v, "\n"); multi {
			return strconv.Quote(first) + " … (" + strconv.Itoa(strings.Count(v, "\n")+1) + " lines)"
		}
		return strconv.Quote(v)
	case time.Duration:
		return strconv.Quote(v.String())
	}
	if f.Kind() == reflect.Slice {
		items := make([]string, f.Len())
		for k := range f.Len() {
			items[k] = showValue(f.Index(k), reflect.StructField{})
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return fmt.Sprint(f.Interface())
}
