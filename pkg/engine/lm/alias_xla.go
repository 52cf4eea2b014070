//go:build !noxla

package lm

import (
	"reflect"
	"strconv"
	"unsafe"

	"github.com/gomlx/go-xla/compute/xla"
	"github.com/gomlx/go-xla/stablehlo"
	"github.com/gomlx/gomlx/core/graph"
)

// aliasInput declares that graph input p may share its device buffer with output number out
// (XLA's input_output_alias), so that a donated input is updated in place: the KV cache is
// written where it lies instead of into a fresh copy at every decoding step (566 MB per step at
// batch 64 for SmolLM2-135M). GoMLX v0.28 has no API for it, but StableHLO has one, the argument
// attribute tf.aliasing_output that jax.jit(donate_argnums=...) emits and PJRT honours. It is set
// on the go-xla value behind the parameter, reached through two unexported fields of the
// versions pinned in go.mod (graph.Node.outputOps, xla.Node.value). It reports false, changing
// nothing, on another backend or if those fields ever change; then the cache is copied as before
// (slower and twice the memory, never wrong), and TestAliasInput fails to say so.
func aliasInput(p *graph.Node, out int) bool {
	ops, ok := unexportedField(p, "outputOps") // []compute.Value
	if !ok || ops.Kind() != reflect.Slice || ops.Len() != 1 {
		return false
	}
	node, ok := ops.Index(0).Interface().(*xla.Node)
	if !ok {
		return false
	}
	field, ok := unexportedField(node, "value")
	if !ok {
		return false
	}
	v, ok := field.Interface().(*stablehlo.Value)
	if !ok || v == nil {
		return false
	}
	if v.Attributes == nil {
		v.Attributes = map[string]any{}
	}
	v.Attributes["tf.aliasing_output"] = mlirAttribute(strconv.Itoa(out) + " : i32")
	return true
}

// mlirAttribute is an attribute value written into the StableHLO program as it is.
type mlirAttribute string

func (a mlirAttribute) ToStableHLO() string { return string(a) }

// unexportedField is field name of the struct ptr points to, made readable.
func unexportedField(ptr any, name string) (reflect.Value, bool) {
	s := reflect.ValueOf(ptr)
	if s.Kind() != reflect.Pointer || s.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := s.Elem().FieldByName(name)
	if !f.IsValid() {
		return f, false
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), true
}
