package metrics

import (
	"fmt"
	"time"
)

// HealthRules are the numeric RAG rules. The zero value means the defaults.
type HealthRules struct {
	// RedForecastSlip: red when the 85th percentile forecast is later than the target date
	// by more than this share of the remaining duration (today to target). Default 0.10.
	RedForecastSlip float64 `json:"red_forecast_slip"`
	// RedOverdueMilestone: red when a milestone is past its due date and not done.
	// Default true; set DisableMilestoneRule to turn it off.
	DisableMilestoneRule bool `json:"disable_milestone_rule"`
	// AmberStaleShare: amber when more than this share of WIP is stale. Default 0.20.
	AmberStaleShare float64 `json:"amber_stale_share"`
}

func (r HealthRules) withDefaults() HealthRules {
	if r.RedForecastSlip == 0 {
		r.RedForecastSlip = 0.10
	}
	if r.AmberStaleShare == 0 {
		r.AmberStaleShare = 0.20
	}
	return r
}

// Health is a project's computed RAG with the reasons behind it, beside the human-set one.
type Health struct {
	RAG     string   `json:"rag"` // green, amber or red
	Reasons []string `json:"reasons"`
	// Reported is the health a register reports (a human's call), empty when none.
	Reported string `json:"reported,omitempty"`
}

// healthInput is what the rules look at.
type healthInput struct {
	today             time.Time
	target            *time.Time
	forecast          *Forecast
	overdueMilestones []string
	wip, stale        int
}

// assess applies the rules. Every rule that fires adds a reason; the worst colour wins.
func (r HealthRules) assess(in healthInput) Health {
	r = r.withDefaults()
	h := Health{RAG: "green", Reasons: []string{}}
	worse := func(c string) {
		if c == "red" || (c == "amber" && h.RAG == "green") {
			h.RAG = c
		}
	}
	if !r.DisableMilestoneRule && len(in.overdueMilestones) > 0 {
		worse("red")
		h.Reasons = append(h.Reasons, fmt.Sprintf("%d committed milestone(s) overdue: %s", len(in.overdueMilestones), joinMax(in.overdueMilestones, 3)))
	}
	switch {
	case in.target == nil:
		h.Reasons = append(h.Reasons, "no target date: the forecast is not checked")
	case in.forecast == nil || in.forecast.P85 == "":
		if in.forecast != nil && in.forecast.Remaining > 0 {
			worse("amber")
			h.Reasons = append(h.Reasons, "cannot forecast: "+in.forecast.Reason)
		}
	default:
		p50, _ := time.Parse(time.DateOnly, in.forecast.P50)
		p85, _ := time.Parse(time.DateOnly, in.forecast.P85)
		remaining := max(in.target.Sub(in.today), 0)
		limit := in.target.Add(time.Duration(float64(remaining) * r.RedForecastSlip))
		if p85.After(limit) {
			worse("red")
			h.Reasons = append(h.Reasons, fmt.Sprintf("85%% forecast %s is past the target %s by more than %.0f%% of the remaining duration",
				in.forecast.P85, in.target.Format(time.DateOnly), r.RedForecastSlip*100))
		}
		if p50.After(*in.target) {
			worse("amber")
			h.Reasons = append(h.Reasons, fmt.Sprintf("50%% forecast %s is past the target %s", in.forecast.P50, in.target.Format(time.DateOnly)))
		}
	}
	if in.wip > 0 && float64(in.stale) > r.AmberStaleShare*float64(in.wip) {
		worse("amber")
		h.Reasons = append(h.Reasons, fmt.Sprintf("%d of %d items in progress are stale (more than %.0f%%)", in.stale, in.wip, r.AmberStaleShare*100))
	}
	if h.RAG == "green" {
		h.Reasons = append(h.Reasons, "on track: no rule fired")
	}
	return h
}

func joinMax(s []string, n int) string {
	out := ""
	for i, v := range s {
		if i == n {
			return out + fmt.Sprintf(" and %d more", len(s)-n)
		}
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}
