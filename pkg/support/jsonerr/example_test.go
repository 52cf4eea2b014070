package jsonerr_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/support/jsonerr"
)

func ExampleWhere() {
	data := []byte("{\n  \"vocab\": {\"a\": 1,\n  }\n}")
	var v map[string]any
	err := json.Unmarshal(data, &v)
	fmt.Println(jsonerr.Where(data, err)) // the 25th byte, the "}" after a trailing comma, is where it stopped
	fmt.Printf("%q\n", jsonerr.Where(data, errors.New("not a JSON error")))
	// Output:
	//  at line 3, byte 25
	// ""
}
