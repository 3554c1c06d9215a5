package mappings

import (
	"time"
	"unsafe"
)

// A row's values go into Row.Values ([]any). Boxing a text, a time or a number copies it
// to the heap, one allocation per value: a work item has some twenty. rowValues holds a
// row's values of each kind in one array and boxes pointers into it, as the compiler's own
// boxing does after its copy; the arrays are never written again once a value is boxed.
type rowValues struct {
	texts []string
	times []time.Time
	nums  []float64
}

func newRowValues(b *block) rowValues {
	return rowValues{texts: make([]string, 0, b.nTexts), times: make([]time.Time, 0, b.nTimes), nums: make([]float64, 0, b.nNums)}
}

// eface is the layout of an interface value with methods-free type (any).
type eface struct{ typ, data unsafe.Pointer }

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	textType = typeWord("")
	timeType = typeWord(time.Time{})
	listType = typeWord([]any(nil))
)

func (r *rowValues) text(s string) any {
	if s == "" || len(r.texts) == cap(r.texts) {
		return s
	}
	r.texts = append(r.texts, s)
	return boxText(&r.texts[len(r.texts)-1])
}

// boxText gives an interface holding the text at p, without a copy of its header.
func boxText(p *string) any {
	var v any
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: textType, data: unsafe.Pointer(p)}
	return v
}

func (r *rowValues) time(t time.Time) any {
	if len(r.times) == cap(r.times) {
		return t
	}
	r.times = append(r.times, t)
	var v any
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: timeType, data: unsafe.Pointer(&r.times[len(r.times)-1])}
	return v
}

func (r *rowValues) timePtr(t time.Time) *time.Time {
	if len(r.times) == cap(r.times) {
		return &t
	}
	r.times = append(r.times, t)
	return &r.times[len(r.times)-1]
}

func (r *rowValues) numPtr(f float64) *float64 {
	if len(r.nums) == cap(r.nums) {
		return &f
	}
	r.nums = append(r.nums, f)
	return &r.nums[len(r.nums)-1]
}

// boxList gives an interface holding the list at p, without a copy of its header.
func boxList(p *[]any) any {
	var v any
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: listType, data: unsafe.Pointer(p)}
	return v
}
