package smartsheet

import (
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Wire types of Smartsheet API 2.0, limited to what the connector reads.

// Sheet is GET /sheets/{id}. With ifVersionAfter and no change only Version is set.
type Sheet struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Version       int64     `json:"version"`
	TotalRowCount int       `json:"totalRowCount"`
	AccessLevel   string    `json:"accessLevel"`
	Permalink     string    `json:"permalink"`
	CreatedAt     time.Time `json:"createdAt"`
	ModifiedAt    time.Time `json:"modifiedAt"`
	Columns       []Column  `json:"columns"`
	Rows          []Row     `json:"rows"`
}

// Column is a sheet column.
type Column struct {
	ID               int64    `json:"id"`
	Index            int      `json:"index"`
	Title            string   `json:"title"`
	Type             string   `json:"type"`
	SystemColumnType string   `json:"systemColumnType,omitempty"`
	Primary          bool     `json:"primary,omitempty"`
	Options          []string `json:"options,omitempty"`
	Tags             []string `json:"tags,omitempty"`
}

// Row is a sheet row.
type Row struct {
	ID         int64     `json:"id"`
	SheetID    int64     `json:"sheetId"`
	RowNumber  int       `json:"rowNumber"`
	ParentID   int64     `json:"parentId"`
	SiblingID  int64     `json:"siblingId"`
	CreatedAt  time.Time `json:"createdAt"`
	ModifiedAt time.Time `json:"modifiedAt"`
	CreatedBy  *User     `json:"createdBy"`
	ModifiedBy *User     `json:"modifiedBy"`
	Permalink  string    `json:"permalink"`
	Cells      []Cell    `json:"cells"`
}

// Cell is one cell. Value stays raw: its JSON type (string, number, bool) depends on the
// column type and the content.
type Cell struct {
	ColumnID     int64          `json:"columnId"`
	ColumnType   string         `json:"columnType,omitempty"`
	Value        jsontext.Value `json:"value,omitempty"`
	DisplayValue string         `json:"displayValue,omitempty"`
	ObjectValue  jsontext.Value `json:"objectValue,omitempty"`
	Formula      string         `json:"formula,omitempty"`
	ModifiedAt   time.Time      `json:"modifiedAt"` // cell history only
	ModifiedBy   *User          `json:"modifiedBy"` // cell history only
}

// User is a contact or a row's writer.
type User struct {
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// ObjectValue is the typed form of a cell (include=objectValue).
type ObjectValue struct {
	ObjectType   string           `json:"objectType"`
	Email        string           `json:"email"`
	Name         string           `json:"name"`
	Values       []jsontext.Value `json:"values"`
	Predecessors []Dependency     `json:"predecessors"`
	Negative     bool             `json:"negative"`
	Elapsed      bool             `json:"elapsed"`
	Weeks        float64          `json:"weeks"`
	Days         float64          `json:"days"`
	Hours        float64          `json:"hours"`
	Minutes      float64          `json:"minutes"`
	Seconds      float64          `json:"seconds"`
	Milliseconds float64          `json:"milliseconds"`
	Value        jsontext.Value   `json:"value"`
}

// Dependency is one predecessor in a PREDECESSOR_LIST.
type Dependency struct {
	RowID     int64        `json:"rowId"`
	RowNumber int          `json:"rowNumber"`
	Type      string       `json:"type"`
	Lag       *ObjectValue `json:"lag,omitempty"`
}

// Page is an index (list) answer.
type Page[T any] struct {
	PageNumber int `json:"pageNumber"`
	PageSize   int `json:"pageSize"`
	TotalPages int `json:"totalPages"`
	TotalCount int `json:"totalCount"`
	Data       []T `json:"data"`
}

// SheetSummary is an entry of GET /sheets or a workspace's sheets.
type SheetSummary struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Permalink  string    `json:"permalink"`
	ModifiedAt time.Time `json:"modifiedAt"`
}

// Workspace is GET /workspaces/{id}?loadAll=true (folders nest).
type Workspace struct {
	ID      int64          `json:"id"`
	Name    string         `json:"name"`
	Sheets  []SheetSummary `json:"sheets"`
	Folders []Workspace    `json:"folders"`
}

// APIError is Smartsheet's error body. It is the Err of the connectors.SourceError a
// failed call returns, so callers can decide on ErrorCode.
type APIError struct {
	Status    int    `json:"-"`
	ErrorCode int    `json:"errorCode"`
	Message   string `json:"message"`
	RefID     string `json:"refId"`
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("errorCode %d: %s", e.ErrorCode, e.Message)
	if e.RefID != "" {
		s += " (refId " + e.RefID + ")"
	}
	return s
}

// Smartsheet error codes the connector decides on.
const (
	codeTokenRequired = 1001
	codeTokenInvalid  = 1002
	codeTokenExpired  = 1003
	codeNotAuthorized = 1004
	codeNotFound      = 1006
	codeRateLimited   = 4003
)

// lenient decodes answers with the single-pass json v2 decoder (a 10,000-row sheet is
// ~20 MB of JSON: the v1 decoder's validation pass and reflection were a third of a first
// sync) while accepting what v1 accepts: any letter case in names, duplicate names and
// invalid UTF-8 (replaced).
var lenient = jsonv2.JoinOptions(
	jsonv2.MatchCaseInsensitiveNames(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)
