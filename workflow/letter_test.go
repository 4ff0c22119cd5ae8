package workflow_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/complaintd/complaintd/workflow"
)

// The templates read the escalation routes from EscalationView, which
// repeats Escalation's fields (letter.go): a setting added to Escalation
// but not carried into the view would be missing from every message that
// names it.
func TestEscalationViewCarriesEveryEscalationField(t *testing.T) {
	var e workflow.Escalation
	settings := reflect.ValueOf(&e).Elem()
	for i := range settings.NumField() {
		switch f := settings.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(fmt.Sprintf("value %d", i))
		case reflect.Int:
			f.SetInt(int64(100 + i))
		default:
			t.Fatalf("Escalation.%s: a %s, which this test does not fill in", settings.Type().Field(i).Name, f.Kind())
		}
	}
	end := time.Date(2027, 11, 19, 0, 0, 0, 0, time.UTC)
	view := reflect.ValueOf(workflow.EscalationViewOf(e, end))
	for i := range settings.NumField() {
		name := settings.Type().Field(i).Name
		v := view.FieldByName(name)
		if !v.IsValid() || !v.Equal(settings.Field(i)) {
			t.Errorf("EscalationView.%s = %v, want %v", name, v, settings.Field(i))
		}
	}
	if got := view.FieldByName("WindowEnd").Interface(); got != end {
		t.Errorf("WindowEnd = %v, want %v", got, end)
	}
}
