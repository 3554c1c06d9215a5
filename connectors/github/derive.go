package github

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// envelope is the payload of an items record. issue, pull and milestone are exactly as
// GitHub returned them; kind, repository and derived are added by the connector (derived
// is a pure function of the other parts, so a re-read yields the same bytes).
type envelope struct {
	Kind       string          `json:"kind"` // issue, pull_request or milestone
	Repository string          `json:"repository"`
	Issue      json.RawMessage `json:"issue,omitempty"`
	Pull       json.RawMessage `json:"pull,omitempty"`
	Milestone  json.RawMessage `json:"milestone,omitempty"`
	Derived    derived         `json:"derived"`
}

// derived holds what the mapping format cannot compute: the combined state, the type
// from label patterns and the Jira keys found in text.
type derived struct {
	Key      string        `json:"key"` // acme/web#42, acme/web/milestone/3
	State    string        `json:"state"`
	Type     string        `json:"type"`
	JiraKeys []jiraMention `json:"jira_keys,omitempty"`
	// LinkedPulls are the open pull requests (drafts too) whose body closes this open
	// issue ("Closes #12"); only on open issues.
	LinkedPulls []int `json:"linked_pulls,omitempty"`
	// Board is the item's place on the first configured Projects (v2) board holding it.
	Board *boardPlace `json:"board,omitempty"`
	// BoardStatus is Board.Status while the item is open: closed and merged states win
	// over the board, so the mapping reads [board_status, state] in that order.
	BoardStatus string `json:"board_status,omitempty"`
}

// jiraMention is a Jira key found in an item's text. Ref is the links.to_id convention:
// "jira-key:<KEY>", resolved to an item_id by the engine and metrics.
type jiraMention struct {
	Key string   `json:"key"`
	Ref string   `json:"ref"`
	In  []string `json:"in"`
}

// ghIssue is the part of an issue (or pull request) the connector reads itself.
type ghIssue struct {
	ID          int64      `json:"id"`
	Number      int        `json:"number"`
	State       string     `json:"state"`
	StateReason string     `json:"state_reason"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	UpdatedAt   time.Time  `json:"updated_at"`
	MergedAt    *time.Time `json:"merged_at"`
	Draft       bool       `json:"draft"`
	PullRequest *struct{}  `json:"pull_request"`
	RepoURL     string     `json:"repository_url"`
	HTMLURL     string     `json:"html_url"`
	Labels      []struct {
		Name string `json:"name"`
	} `json:"labels"`
	Assignees []struct {
		Login string `json:"login"`
	} `json:"assignees"`
	Head struct {
		Ref string `json:"ref"`
	} `json:"head"`
}

type ghMilestone struct {
	ID        int64     `json:"id"`
	Number    int       `json:"number"`
	State     string    `json:"state"`
	UpdatedAt time.Time `json:"updated_at"`
}

// LabelType maps labels matching Pattern (case-insensitive) to a type_category.
type LabelType struct {
	Pattern string `yaml:"pattern"`
	Type    string `yaml:"type"`
}

// DefaultLabelTypes are used when label_types is not configured; the first match wins.
var DefaultLabelTypes = []LabelType{
	{Pattern: `bug|defect`, Type: "bug"},
	{Pattern: `incident|outage`, Type: "incident"},
	{Pattern: `feature|enhancement`, Type: "feature"},
}

type labelRule struct {
	re   *regexp.Regexp
	kind string
}

func (c *Connector) typeFromLabels(is *ghIssue) string {
	for _, r := range c.labelRules {
		for _, l := range is.Labels {
			if r.re.MatchString(l.Name) {
				return r.kind
			}
		}
	}
	return "task"
}

// issueState combines state, state_reason, assignees and linked open pull requests: the
// mapping maps it to a category.
func issueState(is *ghIssue, linked bool) string {
	if is.State == "open" {
		switch {
		case len(is.Assignees) > 0:
			return "open_assigned"
		case linked:
			return "open_linked_pr"
		}
		return "open"
	}
	switch is.StateReason {
	case "not_planned", "duplicate":
		return "closed_" + is.StateReason
	}
	return "closed_completed"
}

func pullState(pr *ghIssue) string {
	switch {
	case pr.State == "open" && pr.Draft:
		return "open_draft"
	case pr.State == "open":
		return "open_ready"
	case pr.MergedAt != nil:
		return "merged"
	}
	return "closed_unmerged"
}

// findJiraKeys scans the item's texts for Jira keys, in a stable order.
func (c *Connector) findJiraKeys(texts ...[2]string) []jiraMention {
	var out []jiraMention
	idx := map[string]int{}
	for _, t := range texts {
		if c.dashedKeys && !strings.Contains(t[1], "-") {
			continue // every default-pattern key has a dash: most bodies skip the regexp
		}
		for _, k := range c.jiraKeys.FindAllString(t[1], -1) {
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, jiraMention{Key: k, Ref: "jira-key:" + k})
			}
			if n := len(out[i].In); n == 0 || out[i].In[n-1] != t[0] {
				out[i].In = append(out[i].In, t[0])
			}
		}
	}
	return out
}

// closingRe matches GitHub's closing keywords followed by an issue reference: "#12",
// "owner/repo#12" or the issue's URL ("Fixes https://github.com/acme/web/issues/12").
var closingRe = regexp.MustCompile(`(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+(?:#|([\w.-]+/[\w.-]+)#|https?://[^\s/]+/(?:api/v3/repos/)?([\w.-]+/[\w.-]+)/issues/)(\d+)\b`)

// closingRefs returns the issue numbers of repo that a pull request body closes, in order,
// once each. References to other repositories are left out (their state is theirs).
func closingRefs(repo, body string) []int {
	if body == "" {
		return nil
	}
	var out []int
	for _, m := range closingRe.FindAllStringSubmatch(body, -1) {
		if other := m[1] + m[2]; other != "" && !strings.EqualFold(other, repo) {
			continue
		}
		n, err := strconv.Atoi(m[3])
		if err != nil || n <= 0 || slices.Contains(out, n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// repoFromURL returns owner/name from an API repository URL.
func repoFromURL(u string) string {
	i := strings.LastIndex(u, "/repos/")
	if i < 0 {
		return ""
	}
	return u[i+len("/repos/"):]
}
