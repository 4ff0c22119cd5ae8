package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// applyEnv overrides every section key from COMPLAINTD_<SECTION>_<KEY> or its _FILE variant.
func applyEnv(cfg *Config, env func(string) string) error {
	var errs []error
	forEachKey(cfg, func(section, key string, f reflect.Value, _ bool) {
		name := "COMPLAINTD_" + strings.ToUpper(section) + "_" + strings.ToUpper(key)
		val, from := env(name), name
		if file := env(name + "_FILE"); file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return
			}
			val, from = strings.TrimRight(string(b), "\r\n"), name+"_FILE"
		}
		if val == "" {
			return
		}
		if err := setValue(f, val); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s.%s): %w", from, section, key, err))
		}
	})
	return errors.Join(errs...)
}

// forEachKey calls fn for every scalar key of every section.
func forEachKey(cfg *Config, fn func(section, key string, f reflect.Value, secret bool)) {
	root := reflect.ValueOf(cfg).Elem()
	for i := range root.NumField() {
		sec := root.Field(i)
		if sec.Kind() != reflect.Struct {
			continue // lists of tables
		}
		section := root.Type().Field(i).Tag.Get("toml")
		for j := range sec.NumField() {
			sf := sec.Type().Field(j)
			if sf.Type.Kind() == reflect.Slice {
				continue
			}
			fn(section, sf.Tag.Get("toml"), sec.Field(j), sf.Tag.Get("secret") == "true")
		}
	}
}

func setValue(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case string:
		f.SetString(s)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.SetBool(b)
	case int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		f.SetInt(int64(n))
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 30s or 5m", s)
		}
		f.SetInt(int64(d))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
