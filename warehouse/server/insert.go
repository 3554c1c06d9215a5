package server

import (
	"fmt"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

// convertFunc checks one Row value against its column's documented Go type and returns
// what clickhouse-go's Append takes for it.
type convertFunc func(v any) (any, error)

// appender is a batch (driver.Batch, or a proto.Block in tests).
type appender interface {
	Append(v ...any) error
}

// converters picks a converter per column from its ClickHouse type. Types outside the
// documented Row set pass through and are checked by the driver.
func converters(columns []warehouse.Column) ([]convertFunc, error) {
	out := make([]convertFunc, len(columns))
	for i, c := range columns {
		t := parseType(c.Type)
		nullable := t.name == "Nullable"
		b := t.base()
		switch {
		case b.name == "String" || b.name == "FixedString" || b.name == "Enum8" || b.name == "Enum16":
			out[i] = exact[string](nullable)
		case isTime(b.name) && nullable:
			out[i] = nullableTime
		case isTime(b.name):
			out[i] = plainTime
		case b.name == "Float64" && nullable:
			out[i] = nullableFloat
		case b.name == "Float64":
			out[i] = exact[float64](false)
		case b.name == "UInt8":
			out[i] = exact[uint8](nullable)
		case b.name == "UInt32":
			out[i] = exact[uint32](nullable)
		case b.name == "UInt64":
			out[i] = exact[uint64](nullable)
		case b.name == "Array" && b.elem(0).base().name == "String":
			out[i] = stringList
		case b.name == "Map" && b.elem(0).base().name == "String" && b.elem(1).base().name == "String":
			out[i] = stringMap
		default:
			out[i] = func(v any) (any, error) { return v, nil }
		}
		if c.Name == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
	}
	return out, nil
}

func isTime(name string) bool {
	return name == "DateTime64" || name == "DateTime" || name == "Date32" || name == "Date"
}

// appendRows converts and appends rows; errors name the table, the row (counted from 1
// across the whole Insert call) and the column.
func appendRows(a appender, table string, columns []warehouse.Column, conv []convertFunc, rows []warehouse.Row, offset int) error {
	vals := make([]any, len(columns))
	for r, row := range rows {
		if len(row) != len(columns) {
			return fmt.Errorf("insert into %s: row %d has %d values for %d columns", table, offset+r+1, len(row), len(columns))
		}
		for i, v := range row {
			cv, err := conv[i](v)
			if err != nil {
				return fmt.Errorf("insert into %s: row %d, column %s (%s): %w", table, offset+r+1, columns[i].Name, columns[i].Type, err)
			}
			vals[i] = cv
		}
		if err := a.Append(vals...); err != nil {
			return fmt.Errorf("insert into %s: row %d: %w", table, offset+r+1, err)
		}
	}
	return nil
}

func exact[T any](nullable bool) convertFunc {
	return func(v any) (any, error) {
		switch x := v.(type) {
		case T:
			return x, nil
		case *T:
			if x != nil {
				return *x, nil
			}
			if nullable {
				return nil, nil
			}
		case nil:
			if nullable {
				return nil, nil
			}
		}
		return nil, wrongType[T](v)
	}
}

func wrongType[T any](v any) error {
	var want T
	if v == nil {
		return fmt.Errorf("want %T, got NULL", want)
	}
	return fmt.Errorf("want %T, got %T", want, v)
}

func plainTime(v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case *time.Time:
		if x != nil {
			return *x, nil
		}
	}
	return nil, wrongType[time.Time](v)
}

func nullableTime(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *time.Time:
		if x == nil {
			return nil, nil // a typed nil is NULL too
		}
		return *x, nil
	case time.Time:
		return x, nil
	}
	return nil, wrongType[*time.Time](v)
}

func nullableFloat(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *float64:
		if x == nil {
			return nil, nil
		}
		return *x, nil
	case float64:
		return x, nil
	}
	return nil, wrongType[*float64](v)
}

func stringList(v any) (any, error) {
	switch x := v.(type) {
	case []string:
		if x == nil {
			return []string{}, nil
		}
		return x, nil
	case nil:
		return []string{}, nil
	}
	return nil, wrongType[[]string](v)
}

func stringMap(v any) (any, error) {
	switch x := v.(type) {
	case map[string]string:
		if x == nil {
			return map[string]string{}, nil
		}
		return x, nil
	case nil:
		return map[string]string{}, nil
	}
	return nil, wrongType[map[string]string](v)
}
