package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/pmohub/pmohub/warehouse"
)

func TestServerExceptionBecomesQueryError(t *testing.T) {
	b := &Backend{password: "hunter2"}
	ex := &proto.Exception{Code: 60, Name: "DB::Exception", Message: "Unknown table expression identifier 'pmo.nope' in scope SELECT * FROM pmo.nope. (UNKNOWN_TABLE)"}
	err := b.mapErr(fmt.Errorf("query: %w", ex))
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("want *warehouse.QueryError, got %T %v", err, err)
	}
	if qe.Code != 60 || qe.Message != "Code: 60. DB::Exception: Unknown table expression identifier 'pmo.nope' in scope SELECT * FROM pmo.nope. (UNKNOWN_TABLE)" {
		t.Errorf("%+v", qe)
	}
	// Code decides, not text: an exception with an unexpected message keeps its code.
	var qe2 *warehouse.QueryError
	if errors.As(b.mapErr(&proto.Exception{Code: 241, Message: "whatever"}), &qe2); qe2 == nil || qe2.Code != 241 {
		t.Errorf("code 241 lost: %v", qe2)
	}
}

func TestDriverErrorsLoseThePassword(t *testing.T) {
	b := &Backend{password: "hunter2hunter2"}
	err := b.mapErr(errors.New("dial tcp: auth for default:hunter2hunter2 failed"))
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("%v", err)
	}
	// Errors without the password keep their chain, so callers can still test them.
	if err := b.mapErr(fmt.Errorf("read: %w", context.DeadlineExceeded)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("chain lost: %v", err)
	}
	if b.mapErr(nil) != nil {
		t.Error("nil must stay nil")
	}
}

func TestOpenRejectsBadURLWithoutDialling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := Open(ctx, "embedded://./data/warehouse", nil)
	if err == nil || !strings.Contains(err.Error(), "clickhouse://") {
		t.Fatalf("want a clear scheme error, got %v", err)
	}
}

func TestOpenUnreachableServerNamesTheRedactedURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Port 1 on localhost refuses at once; nothing listens there.
	_, err := Open(ctx, "clickhouse://pmohub:hunter2hunter2@127.0.0.1:1/pmo?dial_timeout=1s", nil)
	if err == nil {
		t.Fatal("want a connection error")
	}
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "pmohub:xxxxx@127.0.0.1:1/pmo") {
		t.Errorf("error must name the redacted URL: %v", err)
	}
}
