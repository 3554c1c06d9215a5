package mappings

import (
	"time"
	"unsafe"
)

// Boxing a value into an interface copies it to the heap: one allocation per text, time,
// number or list. A record's decoded texts and lists, its rendered templates and its rows'
// values are instead kept in a few arrays per record (recordArrays), and interfaces point
// into them, as the compiler's own boxing points at its copy. An array is never written
// again once a value in it is boxed, and never reused by another record: a value kept
// past its record stays intact (and keeps its array alive).
type recordArrays struct {
	texts []string
	times []time.Time
	nums  []float64
	lists [][]string
	elems []any   // decoded arrays' elements
	anys  [][]any // decoded arrays
	// size is what the previous record used of each: records of a stream are alike, so
	// the next record's arrays are allocated once, at that size.
	size [6]int
	used [6]int
}

// reset starts a record: the arrays of the last one are left to the values that use them.
func (r *recordArrays) reset() {
	r.size, r.used = r.used, [6]int{}
	r.texts, r.times, r.nums, r.lists, r.elems, r.anys = nil, nil, nil, nil, nil, nil
}

// grow gives the room for n more values of kind k: the rest of the previous record's
// count, or a few.
func (r *recordArrays) grow(k, n int) int {
	return max(r.size[k]-r.used[k], n, 8)
}

// eface is the layout of an interface value with a methods-free type (any).
type eface struct{ typ, data unsafe.Pointer }

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	textType     = typeWord("")
	timeType     = typeWord(time.Time{})
	anyListType  = typeWord([]any(nil))
	textListType = typeWord([]string(nil))
)

func box(typ, p unsafe.Pointer) any {
	var v any
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: typ, data: p}
	return v
}

func (r *recordArrays) text(s string) any {
	if s == "" {
		return s
	}
	if len(r.texts) == cap(r.texts) {
		r.texts = make([]string, 0, r.grow(0, 1))
	}
	r.texts = append(r.texts, s)
	r.used[0]++
	return box(textType, unsafe.Pointer(&r.texts[len(r.texts)-1]))
}

func (r *recordArrays) timePtr(t time.Time) *time.Time {
	if len(r.times) == cap(r.times) {
		r.times = make([]time.Time, 0, r.grow(1, 1))
	}
	r.times = append(r.times, t)
	r.used[1]++
	return &r.times[len(r.times)-1]
}

func (r *recordArrays) time(t time.Time) any {
	return box(timeType, unsafe.Pointer(r.timePtr(t)))
}

func (r *recordArrays) numPtr(f float64) *float64 {
	if len(r.nums) == cap(r.nums) {
		r.nums = make([]float64, 0, r.grow(2, 1))
	}
	r.nums = append(r.nums, f)
	r.used[2]++
	return &r.nums[len(r.nums)-1]
}

func (r *recordArrays) textList(l []string) any {
	if len(r.lists) == cap(r.lists) {
		r.lists = make([][]string, 0, r.grow(3, 1))
	}
	r.lists = append(r.lists, l)
	r.used[3]++
	return box(textListType, unsafe.Pointer(&r.lists[len(r.lists)-1]))
}

// list copies elems into the record's element array and gives them as a []any.
func (r *recordArrays) list(elems []any) any {
	n := len(elems)
	if cap(r.elems)-len(r.elems) < n {
		r.elems = make([]any, 0, r.grow(4, n))
	}
	start := len(r.elems)
	r.elems = append(r.elems, elems...)
	r.used[4] += n
	if len(r.anys) == cap(r.anys) {
		r.anys = make([][]any, 0, r.grow(5, 1))
	}
	r.anys = append(r.anys, r.elems[start:start+n:start+n])
	r.used[5]++
	return box(anyListType, unsafe.Pointer(&r.anys[len(r.anys)-1]))
}
